package org.replkit.core.changelog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads committed transactions from a primary's change log, in commit-sequence order.
 *
 * <p>Why this never skips a transaction that is still committing. A transaction takes its sequence
 * number at commit time, after every row lock it waits for was granted, so numbers follow write-write
 * conflicts. On MariaDB and H2 the number comes from a counter row whose lock the next committer needs and
 * which is released only when the commit is visible: once n is visible, every number below it is too, and
 * a rolled-back transaction gives its number back. On PostgreSQL commits flush concurrently, so n+1 can be
 * visible while n is still committing, and a transaction that fails after taking n leaves a hole. There
 * the transaction holding n holds an advisory lock on n until it ends ({@link ChangeLogSchema#inFlightLockKeySql}):
 * for a number missing below a visible one the reader asks for that lock. Held: still committing, so
 * the read stops before it. Free: the transaction ended; either its row is visible now (read again) or
 * it rolled back and the number is a hole for good. No timeout decides anything.
 *
 * <p>A reader polls with short statements (autocommit), never holding a snapshot open.
 */
public final class ChangeLogReader
{
   private final ChangeLogSchema log;
   private final String site;
   private final Map<String, TableInfo> tables = new HashMap<>();

   public ChangeLogReader(ChangeLogSchema log, String site)
   {
      this.log = log;
      this.site = site;
   }

   public ChangeLogSchema log()
   {
      return log;
   }

   /** Up to {@code max} committed transactions with a sequence above {@code afterSeq}, oldest first. */
   public List<CommittedTransaction> read(Connection c, long afterSeq, int max) throws SQLException
   {
      final List<long[]> commits = new ArrayList<>();
      final List<Timestamp> times = new ArrayList<>();
      final List<String> sites = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, tx, committed_at, site FROM " + log.table("rk_commit")
                                                     + " WHERE seq > ? ORDER BY seq")) {
         ps.setMaxRows(max);
         ps.setLong(1, afterSeq);
         try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
               commits.add(new long[] {rs.getLong(1), rs.getLong(2)});
               times.add(rs.getTimestamp(3));
               sites.add(rs.getString(4));
            }
         }
      }
      final int deliverable = deliverable(c, commits, afterSeq);
      if (deliverable < commits.size()) {
         commits.subList(deliverable, commits.size()).clear();
      }
      if (commits.isEmpty()) {
         return List.of();
      }
      final long last = commits.get(commits.size() - 1)[0];
      final Map<Long, List<Change>> byTx = new HashMap<>();
      try (PreparedStatement ps = c.prepareStatement(
         "SELECT c.tx, c.op, c.schema_name, c.table_name, c.before_image, c.after_image, c.stmt FROM "
         + log.table("rk_commit") + " m JOIN " + log.table("rk_change") + " c ON c.tx = m.tx"
         + " WHERE m.seq > ? AND m.seq <= ? ORDER BY c.tx, c.id")) {
         ps.setLong(1, afterSeq);
         ps.setLong(2, last);
         ps.setFetchSize(1000);
         try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
               byTx.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                  .add(new Change(Change.Op.of(rs.getString(2).charAt(0)), rs.getString(3), rs.getString(4),
                                  rs.getString(5), rs.getString(6), rs.getString(7)));
            }
         }
      }
      final List<CommittedTransaction> out = new ArrayList<>(commits.size());
      for (int i = 0; i < commits.size(); i++) {
         final long[] m = commits.get(i);
         final String origin = sites.get(i) != null ? sites.get(i) : site;
         out.add(new CommittedTransaction(new Oqid(origin, m[0]), m[1], times.get(i).toInstant(),
                                          byTx.getOrDefault(m[1], List.of())));
      }
      return out;
   }

   /** How many of the visible commits (in sequence order) can be delivered: up to the first number still committing. */
   private int deliverable(Connection c, List<long[]> commits, long afterSeq) throws SQLException
   {
      long expected = afterSeq + 1;
      for (int i = 0; i < commits.size(); i++) {
         final long seq = commits.get(i)[0];
         for (long hole = expected; hole < seq; hole++) {
            if (log.dialect() != Dialect.POSTGRESQL || !holeIsFinal(c, hole)) {
               return i;
            }
         }
         expected = seq + 1;
      }
      return commits.size();
   }

   /** PostgreSQL: true when the transaction that took {@code seq} has ended without committing it. */
   private boolean holeIsFinal(Connection c, long seq) throws SQLException
   {
      final String key = log.inFlightLockKeySql() + ", " + "(" + seq + " % 2147483647)::int";
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(" + key + ")");
           ResultSet rs = ps.executeQuery()) {
         rs.next();
         if (!rs.getBoolean(1)) {
            return false; // still committing
         }
      }
      try (PreparedStatement unlock = c.prepareStatement("SELECT pg_advisory_unlock(" + key + ")")) {
         unlock.execute();
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + log.table("rk_commit") + " WHERE seq = ?")) {
         ps.setLong(1, seq);
         try (ResultSet rs = ps.executeQuery()) {
            return !rs.next(); // visible now: deliver it in order on the next read
         }
      }
   }

   /**
    * Deletes what every consumer has secured: the records of transactions up to {@code seq}. The commit
    * row of {@code seq} itself stays, so the log's position can still be read from any consistent copy
    * of the database (a dump, a snapshot) after truncation.
    *
    * <p>Never past a hot-standby secondary's received position ({@link LogMeta#STANDBY_RECEIVED}) while
    * that is set: the log is the standby's catchup store, and more than one truncator may share it.
    * Records the point reached as {@link LogMeta#TRUNCATED}, which is how a standby knows whether the
    * log still holds everything after a position.
    */
   public int truncate(Connection c, long seq) throws SQLException
   {
      return truncate(c, seq, Integer.MAX_VALUE).deleted();
   }

   /**
    * As {@link #truncate(Connection, long)}, at most {@code maxTransactions} commits at a time (oldest first),
    * so a long backlog is deleted in short transactions between reads rather than in one that holds the
    * reader up.
    */
   public Truncation truncate(Connection c, long seq, int maxTransactions) throws SQLException
   {
      final boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      // One delete per transaction through the (tx, id) index: H2 re-runs an IN (subquery) for every row.
      try (PreparedStatement txs = c.prepareStatement("SELECT seq, tx FROM " + log.table("rk_commit") + " WHERE seq <= ? ORDER BY seq");
           PreparedStatement ch = c.prepareStatement("DELETE FROM " + log.table("rk_change") + " WHERE tx = ?");
           PreparedStatement cm = c.prepareStatement("DELETE FROM " + log.table("rk_commit") + " WHERE seq < ?")) {
         long upTo = Math.min(seq, LogMeta.getLong(c, log, LogMeta.STANDBY_RECEIVED, Long.MAX_VALUE));
         txs.setLong(1, upTo);
         txs.setMaxRows(maxTransactions == Integer.MAX_VALUE ? 0 : maxTransactions);
         int read = 0;
         long lastSeq = upTo;
         try (ResultSet rs = txs.executeQuery()) {
            while (rs.next()) {
               lastSeq = rs.getLong(1);
               ch.setLong(1, rs.getLong(2));
               ch.addBatch();
               read++;
            }
         }
         final boolean more = read == maxTransactions && lastSeq < upTo;
         if (more) {
            upTo = lastSeq; // this turn ends at the last commit it read
         }
         int n = 0;
         for (int count : ch.executeBatch()) {
            n += Math.max(count, 0);
         }
         cm.setLong(1, upTo);
         cm.executeUpdate();
         if (upTo > LogMeta.getLong(c, log, LogMeta.TRUNCATED, 0)) {
            LogMeta.put(c, log, LogMeta.TRUNCATED, Long.toString(upTo));
         }
         c.commit();
         return new Truncation(upTo, n, more);
      }
      catch (SQLException e) {
         c.rollback();
         throw e;
      }
      finally {
         c.setAutoCommit(auto);
      }
   }

   /** What one truncation did: the point it reached, the records it deleted, and whether commits up to the point asked for remain. */
   public record Truncation(long point, int deleted, boolean more)
   {
   }

   /**
    * The truncation point: the oldest commit the log still holds (its records may be gone, the row stays),
    * 0 when the log holds none. Everything above it can still be read.
    */
   public long truncationPoint(Connection c) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT MIN(seq) FROM " + log.table("rk_commit"));
           ResultSet rs = ps.executeQuery()) {
         return rs.next() ? rs.getLong(1) : 0L;
      }
   }

   /**
    * The highest sequence whose records truncation deleted (0 when never): the log holds every committed
    * transaction above it.
    */
   public long truncatedTo(Connection c) throws SQLException
   {
      return LogMeta.getLong(c, log, LogMeta.TRUNCATED, 0);
   }

   /** The transaction id the log's commit row {@code seq} carries, or null when the log holds no such row. */
   public Long txAt(Connection c, long seq) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT tx FROM " + log.table("rk_commit") + " WHERE seq = ?")) {
         ps.setLong(1, seq);
         try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : null;
         }
      }
   }

   /** The highest committed sequence in the log (0 when none), i.e. the position of this database's data. */
   public long position(Connection c) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT MAX(seq) FROM " + log.table("rk_commit"));
           ResultSet rs = ps.executeQuery()) {
         return rs.next() ? rs.getLong(1) : 0L;
      }
   }

   /** The registered description of a captured table, cached until {@link #forget} (after DDL). */
   public TableInfo table(Connection c, String schema, String table) throws SQLException
   {
      final String key = schema + '\u0000' + table;
      TableInfo t = tables.get(key);
      if (t == null) {
         t = log.registered(c, schema, table);
         if (t == null) {
            throw new SQLException("table " + schema + "." + table + " is not in the change log's table registry " + log.table("rk_table"), "42P01");
         }
         tables.put(key, t);
      }
      return t;
   }

   public void forget(String schema, String table)
   {
      tables.remove(schema + '\u0000' + table);
   }
}
