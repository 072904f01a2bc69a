package org.replkit.jdbc.capture;

import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.TableInfo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * What capture does differently per database. Rows are captured by triggers that ReplKit installs on
 * each captured table: they run inside the writing statement, so they cost no round trip, see exact
 * before images (upserts, MERGE, cascades and key changes included) and roll back with the data. The
 * driver's part is the transaction boundary: it writes the commit record just before COMMIT.
 *
 * <p>A trigger refuses writes from sessions the driver did not mark (so no write to a captured table
 * can pass uncaptured) and ignores sessions marked as applying replicated changes (so they are not
 * captured again).
 */
abstract class Capture
{
   final ChangeLogSchema log;

   Capture(ChangeLogSchema log)
   {
      this.log = log;
   }

   static Capture of(ChangeLogSchema log)
   {
      return switch (log.dialect()) {
         case POSTGRESQL -> new PostgresCapture(log);
         case MARIADB -> new MariaDbCapture(log);
         case H2 -> new H2Capture(log);
      };
   }

   Dialect dialect()
   {
      return log.dialect();
   }

   /** Creates or refreshes the routines capture needs. Called once per process and database, under the install lock. */
   abstract void installRoutines(Connection c) throws SQLException;

   /** Installs (or refreshes) the capture trigger of a table; a table without a key gets one that refuses writes. */
   abstract void installTable(Connection c, TableInfo t) throws SQLException;

   /** Removes the capture trigger of an excluded table, if there is one. */
   abstract void removeTable(Connection c, String schema, String table) throws SQLException;

   abstract boolean hasTrigger(Connection c, String schema, String table) throws SQLException;

   /** Marks the session as a ReplKit session of {@code site}: once per physical connection. */
   abstract void startSession(Connection c, String site) throws SQLException;

   /**
    * Writes the commit record of the current transaction if it captured anything (the next commit
    * sequence, taken under the serializing lock) and commits, in one round trip where the database
    * allows: the lock is then held for the commit's flush only, not for a trip to the client and back.
    */
   abstract void commit(Connection c, String site) throws SQLException;

   /**
    * The commit record alone, COMMIT left to the caller. Only for the test seam that pauses or fails
    * between the two, to prove readers never skip a transaction holding a sequence number.
    */
   abstract void writeCommitRecord(Connection c, String site) throws SQLException;

   /** After COMMIT or ROLLBACK: forget the transaction id the session carried, where the session carries one. */
   abstract void endTransaction(Connection c) throws SQLException;

   /** SQL giving the current transaction's id, assigning one where the session carries it. */
   abstract String transactionIdExpression();

   /** Records a DDL or TRUNCATE statement in the current transaction. */
   final void recordStatement(Connection c, Change.Op op, String schema, String table, String stmt) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + log.table("rk_change") + " (tx, op, schema_name, table_name, stmt) VALUES ("
                                                     + transactionIdExpression() + ", ?, ?, ?, ?)")) {
         ps.setString(1, String.valueOf(op.code));
         ps.setString(2, schema);
         ps.setString(3, table);
         ps.setString(4, stmt);
         ps.executeUpdate();
      }
   }

   /** True when DDL (and TRUNCATE) commit the open transaction, as in MariaDB and H2. */
   abstract boolean ddlCommits();

   /** True when TRUNCATE is recorded by a trigger, not by the driver. */
   boolean truncateCapturedByTrigger()
   {
      return false;
   }

   static String tooLong(String name, int max)
   {
      if (name.length() <= max) {
         return name;
      }
      return name.substring(0, max - 9) + '_' + String.format("%08x", name.hashCode());
   }

   static String sqlString(String s)
   {
      return "'" + s.replace("'", "''") + "'";
   }
}
