package org.replkit.jdbc.capture;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.TableInfo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * H2: a Java trigger ({@link H2CaptureTrigger}) per table, running in the database's JVM (embedded, or
 * an H2 server with ReplKit on its class path); session variables carry the ReplKit session, the
 * change-log schema and the transaction id; a counter row serializes committers.
 */
final class H2Capture extends Capture
{
   static final String CAPTURE_PREFIX = "RK_CAPTURE_";
   static final String NOKEY_PREFIX = "RK_NOKEY_";

   H2Capture(ChangeLogSchema log)
   {
      super(log);
   }

   @Override
   void installRoutines(Connection c)
   {
      // the trigger is Java; the commit record is one statement: nothing to install
   }

   @Override
   void installTable(Connection c, TableInfo t) throws SQLException
   {
      removeTable(c, t.schema(), t.name());
      final String name = tooLong((t.key().isEmpty() ? NOKEY_PREFIX : CAPTURE_PREFIX) + t.name(), 255);
      try (Statement st = c.createStatement()) {
         st.execute("CREATE TRIGGER " + dialect().quote(t.schema()) + '.' + dialect().quote(name) + " AFTER INSERT, UPDATE, DELETE ON "
                    + dialect().qualified(t.schema(), t.name()) + " FOR EACH ROW CALL " + sqlStringDq(H2CaptureTrigger.class.getName()));
      }
   }

   private static String sqlStringDq(String s)
   {
      return '"' + s + '"';
   }

   @Override
   void removeTable(Connection c, String schema, String table) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         for (String prefix : new String[] {CAPTURE_PREFIX, NOKEY_PREFIX}) {
            st.execute("DROP TRIGGER IF EXISTS " + dialect().quote(schema) + '.' + dialect().quote(tooLong(prefix + table, 255)));
         }
      }
   }

   @Override
   boolean hasTrigger(Connection c, String schema, String table) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement(
         "SELECT 1 FROM INFORMATION_SCHEMA.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ? AND TRIGGER_NAME LIKE 'RK\\_%'")) {
         ps.setString(1, schema);
         ps.setString(2, table);
         try (ResultSet rs = ps.executeQuery()) {
            return rs.next();
         }
      }
   }

   @Override
   void startSession(Connection c, String site) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SET @RK_SESSION = ?");
           PreparedStatement log = c.prepareStatement("SET @RK_LOG = ?")) {
         ps.setString(1, site);
         ps.execute();
         log.setString(1, this.log.schema());
         log.execute();
      }
   }

   @Override
   void commit(Connection c, String site) throws SQLException
   {
      writeCommitRecord(c, site); // in-process: no round trip to save
      c.commit();
   }

   @Override
   void writeCommitRecord(Connection c, String site) throws SQLException
   {
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT @RK_TX")) {
         rs.next();
         final long tx = rs.getLong(1);
         if (rs.wasNull()) {
            return;
         }
         try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + log.table("rk_commit") + " (seq, tx, site, committed_at) SELECT v, ?, ?, LOCALTIMESTAMP FROM FINAL TABLE (UPDATE "
                                                        + log.table("rk_counter") + " SET v = v + 1 WHERE id = 1)")) {
            ps.setLong(1, tx);
            ps.setString(2, site);
            ps.executeUpdate();
         }
         st.execute("SET @RK_TX = NULL"); // session variables are not transactional: safe before COMMIT
      }
   }

   @Override
   void endTransaction(Connection c) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         st.execute("SET @RK_TX = NULL");
      }
   }

   @Override
   String transactionIdExpression()
   {
      return "COALESCE(@RK_TX, SET(@RK_TX, NEXT VALUE FOR " + log.table("rk_txid") + "))";
   }

   @Override
   boolean ddlCommits()
   {
      return true;
   }
}
