package org.replkit.core.copy;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A read-only snapshot transaction on a source database, with the change-log position its data is at:
 * every transaction up to {@link #position()} is in the snapshot's data and none after it, while
 * clients keep committing. What a copy reads through {@link #connection()} is therefore the database
 * exactly as of that position, and replaying the change log after it brings the copy up to date.
 *
 * <p>How each database gives one snapshot of data and log together: PostgreSQL REPEATABLE READ, MariaDB
 * (InnoDB) {@code START TRANSACTION WITH CONSISTENT SNAPSHOT}, H2 isolation level SNAPSHOT. No lock is
 * taken: writers never wait for the snapshot, nor it for them.
 *
 * <p>Why the visible commits form a prefix of the log. On MariaDB and H2 a commit sequence number is
 * taken under a counter row lock held until the commit is visible, so a snapshot that sees n sees every
 * number below it. On PostgreSQL commits become visible out of number order: a snapshot can see n while
 * n-1 is still flushing. So after taking it, {@code open} checks with a second connection ({@code probe})
 * that no number below the snapshot's highest is still committing (the committer holds an advisory lock
 * on its number until it ends) and then that every commit row up to it that exists now is visible in the
 * snapshot; in that order, a commit that ends between the two checks is seen by the second. When either
 * fails, the snapshot is dropped and taken again a few milliseconds later.
 */
public final class Snapshot implements AutoCloseable
{
   private final Connection c;
   private final Dialect dialect;
   private final ChangeLogSchema log;
   private final long position;
   private final boolean autoCommit;
   private final int isolation;

   private Snapshot(Connection c, Dialect dialect, ChangeLogSchema log, long position, boolean autoCommit, int isolation)
   {
      this.c = c;
      this.dialect = dialect;
      this.log = log;
      this.position = position;
      this.autoCommit = autoCommit;
      this.isolation = isolation;
   }

   /** A snapshot of a database without a change log ({@link #position()} is -1). */
   public static Snapshot open(Connection c) throws SQLException
   {
      return open(c, null, null, 0);
   }

   /**
    * A snapshot of a captured database at a change-log position.
    *
    * @param c         the connection the snapshot transaction runs on (its autocommit and isolation are
    *                  restored by {@link #close})
    * @param log       the database's change log (null: no position)
    * @param probe     a second connection to the same database, for PostgreSQL's check (unused otherwise)
    * @param timeoutMs how long to keep retrying while commits keep flushing out of number order
    */
   public static Snapshot open(Connection c, ChangeLogSchema log, Connection probe, long timeoutMs) throws SQLException
   {
      final Dialect d = Dialect.of(c);
      if (log != null && d == Dialect.POSTGRESQL && probe == null) {
         throw new IllegalArgumentException("a PostgreSQL snapshot at a change-log position needs a second connection to check it");
      }
      final boolean auto = c.getAutoCommit();
      final int iso = c.getTransactionIsolation();
      final long until = System.currentTimeMillis() + timeoutMs;
      String why;
      while (true) {
         begin(c, d);
         try {
            if (log == null) {
               return new Snapshot(c, d, null, -1, auto, iso);
            }
            final long position;
            final String pgSnapshot;
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT MAX(seq)" + (d == Dialect.POSTGRESQL ? ", pg_current_snapshot()::text" : "")
                                                + " FROM " + log.table("rk_commit"))) {
               rs.next();
               position = rs.getLong(1);
               pgSnapshot = d == Dialect.POSTGRESQL ? rs.getString(2) : null;
            }
            why = d == Dialect.POSTGRESQL ? pgInconsistency(probe, log, position, pgSnapshot) : null;
            if (why == null) {
               return new Snapshot(c, d, log, position, auto, iso);
            }
         }
         catch (SQLException | RuntimeException e) {
            end(c, d, auto, iso);
            throw e;
         }
         end(c, d, auto, iso);
         if (System.currentTimeMillis() > until) {
            throw new SQLException("no consistent snapshot of the change log within " + timeoutMs + " ms: " + why, "55000");
         }
         try {
            Thread.sleep(10);
         }
         catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while taking a snapshot", "57014", e);
         }
      }
   }

   private static void begin(Connection c, Dialect d) throws SQLException
   {
      switch (d) {
         case POSTGRESQL -> {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
         }
         case MARIADB -> {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement st = c.createStatement()) {
               st.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT");
            }
         }
         case H2 -> {
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
               st.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SNAPSHOT"); // REPEATABLE READ is not a snapshot in H2
            }
            c.setAutoCommit(false);
         }
      }
   }

   /** Why a PostgreSQL snapshot at {@code position} misses a commit at or below it, or null when it does not. */
   private static String pgInconsistency(Connection probe, ChangeLogSchema log, long position, String snapshot) throws SQLException
   {
      // first: no number at or below the position is still committing (its committer holds the advisory lock on it)
      final boolean wraps = position >= 2147483647L;
      try (PreparedStatement ps = probe.prepareStatement("SELECT MIN(objid::bigint) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                                                         + " AND classid = (" + log.inFlightLockKeySql() + "::bigint & 4294967295)::oid"
                                                         + (wraps ? "" : " AND objid::bigint <= ?"))) {
         if (!wraps) {
            ps.setLong(1, position);
         }
         try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            final long inFlight = rs.getLong(1);
            if (!rs.wasNull()) {
               return "commit sequence " + inFlight + " is still committing below the snapshot's position " + position;
            }
         }
      }
      // then: every commit up to the position that is visible now was visible to the snapshot
      try (PreparedStatement ps = probe.prepareStatement("SELECT MIN(seq) FROM " + log.table("rk_commit")
                                                         + " WHERE seq <= ? AND NOT pg_visible_in_snapshot(tx::text::xid8, ?::pg_snapshot)")) {
         ps.setLong(1, position);
         ps.setString(2, snapshot);
         try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            final long missed = rs.getLong(1);
            return rs.wasNull() ? null : "commit sequence " + missed + " became visible after the snapshot, below its position " + position;
         }
      }
   }

   private static void end(Connection c, Dialect d, boolean auto, int iso)
   {
      try {
         c.rollback();
         if (d == Dialect.H2) {
            c.setAutoCommit(true);
            c.setTransactionIsolation(iso);
         }
         else {
            c.setTransactionIsolation(iso);
         }
         c.setAutoCommit(auto);
      }
      catch (SQLException ignored) {
         // the connection is broken; its owner finds out on its next use
      }
   }

   /** The connection to read through; everything read sees the database at {@link #position()}. */
   public Connection connection()
   {
      return c;
   }

   public Dialect dialect()
   {
      return dialect;
   }

   /** The change-log position of the snapshot's data (-1 without a change log). */
   public long position()
   {
      return position;
   }

   /** The tables the change log captures (its registry, as of the snapshot); empty without a change log. */
   public List<TableCopy.TableName> capturedTables() throws SQLException
   {
      final List<TableCopy.TableName> out = new ArrayList<>();
      if (log == null) {
         return out;
      }
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT schema_name, table_name FROM " + log.table("rk_table") + " ORDER BY schema_name, table_name")) {
         while (rs.next()) {
            out.add(new TableCopy.TableName(rs.getString(1), rs.getString(2)));
         }
      }
      return out;
   }

   /** Ends the snapshot transaction (nothing was written) and restores the connection's settings. */
   @Override
   public void close()
   {
      end(c, dialect, autoCommit, isolation);
   }
}
