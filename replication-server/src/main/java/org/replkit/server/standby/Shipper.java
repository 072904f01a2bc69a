package org.replkit.server.standby;

import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.TableInfo;
import org.replkit.core.queue.QueuedTransaction;
import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;
import org.replkit.server.TxApplier;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ships committed transactions from the primary's change log to the secondary: reads them in commit
 * order, applies them with the replication server's applier, and moves the secondary's position row
 * ({@code <replkit schema>.rk_standby}, one row per pair: the copy it descends from and the last applied
 * sequence) in the same secondary transaction, like a DSI's rs_lastcommit: a crash at any point neither
 * loses nor repeats a transaction. The row exists only between a completed full copy and the next one:
 * a secondary without it is new or damaged and needs a full copy.
 */
final class Shipper implements AutoCloseable
{
   /** The secondary's position: the copy it descends from and the last sequence applied. */
   record Position(String copyId, long seq)
   {
   }

   private static final int GROUP_TRANSACTIONS = 50;
   private static final int GROUP_RECORDS = 5000;

   private final ServerConfig.Db db;
   private final String pair;
   private final ChangeLogSchema log;
   private final Dialect from;
   private ChangeLogReader reader;
   private Connection secondary;
   private Dialect to;
   private TxApplier applier;
   private String table;
   private PreparedStatement move;
   private volatile Position position;
   /** Records and nanoseconds of the batches that measure the apply rate (large enough ones only). */
   private long rateRecords;
   private long rateNanos;

   Shipper(ServerConfig.Db db, String pair, ChangeLogSchema log, String site)
   {
      this.db = db;
      this.pair = pair;
      this.log = log;
      this.from = log.dialect();
      this.reader = new ChangeLogReader(log, site);
   }

   boolean isOpen()
   {
      return secondary != null;
   }

   Connection connection()
   {
      return secondary;
   }

   Dialect dialect()
   {
      return to;
   }

   /** Opens the secondary (when closed) and reads its position; null position: no copy there. */
   Position open() throws SQLException
   {
      if (secondary == null) {
         final Connection c = ReplicationServer.connect(db, "secondary", true);
         try {
            to = Dialect.of(c);
            try (Statement st = c.createStatement()) {
               st.execute(to.applySessionStatement()); // a captured secondary neither records nor refuses what is shipped
               final String schema = ChangeLogSchema.defaultSchema(to, c);
               table = to.quote(schema) + "." + to.quote("rk_standby");
               st.execute(to == Dialect.MARIADB ? "CREATE DATABASE IF NOT EXISTS " + to.quote(schema) : "CREATE SCHEMA IF NOT EXISTS " + to.quote(schema));
               final String ts = to == Dialect.MARIADB ? "DATETIME(6)" : "TIMESTAMP";
               st.execute("CREATE TABLE IF NOT EXISTS " + table + " (pair VARCHAR(128) NOT NULL PRIMARY KEY, copy_id VARCHAR(64) NOT NULL,"
                          + " seq BIGINT NOT NULL, copied_at " + ts + ", applied_at " + ts + ")");
            }
            c.setAutoCommit(false);
            c.commit();
         }
         catch (SQLException | RuntimeException e) {
            close(c);
            throw e;
         }
         secondary = c;
         applier = new TxApplier(secondary, to, null);
      }
      try (PreparedStatement ps = secondary.prepareStatement("SELECT copy_id, seq FROM " + table + " WHERE pair = ?")) {
         ps.setString(1, pair);
         try (ResultSet rs = ps.executeQuery()) {
            position = rs.next() ? new Position(rs.getString(1), rs.getLong(2)) : null;
         }
      }
      secondary.commit();
      return position;
   }

   Position position()
   {
      return position;
   }

   /** Before a full copy: the secondary no longer counts as a copy, so a copy that fails halfway leaves it needing one. */
   void invalidate() throws SQLException
   {
      try (PreparedStatement ps = secondary.prepareStatement("DELETE FROM " + table + " WHERE pair = ?")) {
         ps.setString(1, pair);
         ps.executeUpdate();
      }
      secondary.commit();
      position = null;
      resetApplier(); // the copy drops and creates the tables its statements were prepared on
   }

   /** After a full copy: the secondary holds copy {@code copyId} at {@code seq}. */
   void copied(String copyId, long seq) throws SQLException
   {
      final Timestamp now = Timestamp.from(Instant.now());
      try (PreparedStatement ps = secondary.prepareStatement("INSERT INTO " + table + " (pair, copy_id, seq, copied_at, applied_at) VALUES (?, ?, ?, ?, ?)")) {
         ps.setString(1, pair);
         ps.setString(2, copyId);
         ps.setLong(3, seq);
         ps.setTimestamp(4, now);
         ps.setTimestamp(5, now);
         ps.executeUpdate();
      }
      secondary.commit();
      position = new Position(copyId, seq);
   }

   /**
    * Applies the committed transactions after the secondary's position, up to {@code upTo} and at most
    * {@code max} of them; returns how many. Each group of transactions is one secondary transaction with
    * the position row's move; a DDL transaction is a group of its own (MariaDB and H2 commit DDL).
    */
   int ship(Connection primary, long upTo, int max) throws SQLException
   {
      final List<CommittedTransaction> txs = reader.read(primary, position.seq(), max);
      int shipped = 0;
      long records = 0;
      final long start = System.nanoTime();
      CommittedTransaction last = null;
      int group = 0;
      int groupRecords = 0;
      try {
         for (CommittedTransaction tx : txs) {
            if (tx.seq() > upTo) {
               break;
            }
            final boolean ddl = tx.changes().stream().anyMatch(c -> c.op() == Change.Op.DDL);
            if (ddl && group > 0) {
               commit(last);
               group = 0;
               groupRecords = 0;
            }
            applier.apply(queued(primary, tx), from);
            last = tx;
            group++;
            groupRecords += tx.changes().size();
            shipped++;
            records += tx.changes().size();
            if (ddl || group >= GROUP_TRANSACTIONS || groupRecords >= GROUP_RECORDS) {
               commit(last);
               group = 0;
               groupRecords = 0;
            }
            if (ddl) {
               reader = new ChangeLogReader(log, null); // the registry may have changed shape
            }
         }
         if (group > 0) {
            commit(last);
         }
      }
      catch (SQLException | RuntimeException e) {
         applier.discard();
         try {
            secondary.rollback();
         }
         catch (SQLException ignored) {
            // a lost connection rolls back by itself; the caller reports the first error
         }
         throw e;
      }
      if (shipped >= 100 || records >= 1000) { // small batches measure commits and round trips, not the apply rate
         rateRecords += records;
         rateNanos += System.nanoTime() - start;
         if (rateRecords > 1_000_000) { // keep it recent
            rateRecords /= 2;
            rateNanos /= 2;
         }
      }
      return shipped;
   }

   /** The measured apply rate in records per second, or 0 when not measured yet. */
   double applyRate()
   {
      return rateRecords < 1000 || rateNanos == 0 ? 0 : rateRecords * 1e9 / rateNanos;
   }

   private QueuedTransaction queued(Connection primary, CommittedTransaction tx) throws SQLException
   {
      final Map<String, TableInfo> used = new LinkedHashMap<>();
      for (Change ch : tx.changes()) {
         if (ch.table() != null && ch.op() != Change.Op.DDL && ch.op() != Change.Op.TRUNCATE) {
            final String k = ch.schema() + '\u0000' + ch.table();
            if (!used.containsKey(k)) {
               used.put(k, reader.table(primary, ch.schema(), ch.table()));
            }
         }
      }
      return new QueuedTransaction(0, tx, new ArrayList<>(used.values()));
   }

   private void commit(CommittedTransaction last) throws SQLException
   {
      applier.flush();
      if (move == null) {
         move = secondary.prepareStatement("UPDATE " + table + " SET seq = ?, applied_at = ? WHERE pair = ? AND copy_id = ?");
      }
      move.setLong(1, last.seq());
      move.setTimestamp(2, Timestamp.from(Instant.now()));
      move.setString(3, pair);
      move.setString(4, position.copyId());
      if (move.executeUpdate() != 1) {
         throw new SQLException("the secondary's position row for pair " + pair + " (copy " + position.copyId()
                                + ") is gone: its database was changed or copied by someone else", "40R01");
      }
      secondary.commit();
      position = new Position(position.copyId(), last.seq());
   }

   private void resetApplier()
   {
      if (applier != null) {
         applier.close();
         applier = new TxApplier(secondary, to, null);
      }
   }

   /** Ends the secondary's read transaction (after a verify), keeping the connection. */
   void endRead() throws SQLException
   {
      secondary.commit();
   }

   @Override
   public void close()
   {
      if (applier != null) {
         applier.close();
         applier = null;
      }
      move = null;
      close(secondary);
      secondary = null;
      position = null;
   }

   private static void close(Connection c)
   {
      if (c != null) {
         try {
            c.close();
         }
         catch (SQLException ignored) {
            // closing a broken connection
         }
      }
   }
}
