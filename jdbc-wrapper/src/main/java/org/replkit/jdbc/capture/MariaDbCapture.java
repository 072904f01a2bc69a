package org.replkit.jdbc.capture;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.ColumnKind;
import org.replkit.core.changelog.TableInfo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * MariaDB: three triggers per table, generated from its columns (MariaDB has no generic row-to-JSON), a
 * transaction id carried in the session variable {@code @rk_tx}, and the commit sequence from a counter
 * row whose lock serializes committers. TIMESTAMP travels as epoch seconds and binary as hex, so the
 * images do not depend on the session time zone or character set.
 */
final class MariaDbCapture extends Capture
{
   MariaDbCapture(ChangeLogSchema log)
   {
      super(log);
   }

   @Override
   void installRoutines(Connection c) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         // With p_commit the procedure commits too: the counter row's lock is then held for the commit's
         // flush only, and the transaction costs one round trip less.
         st.execute("CREATE OR REPLACE PROCEDURE " + dialect().quote(log.schema()) + ".rk_commit(IN p_site VARCHAR(128), IN p_commit BOOLEAN)\n"
                    + "BEGIN\n"
                    + "  DECLARE n BIGINT;\n"
                    + "  IF @rk_tx IS NOT NULL THEN\n"
                    + "    SELECT v + 1 INTO n FROM " + log.table("rk_counter") + " WHERE id = 1 FOR UPDATE;\n"
                    + "    UPDATE " + log.table("rk_counter") + " SET v = n WHERE id = 1;\n"
                    + "    INSERT INTO " + log.table("rk_commit") + " (seq, tx, site, committed_at) VALUES (n, @rk_tx, p_site, UTC_TIMESTAMP(6));\n"
                    + "    SET @rk_tx = NULL;\n"
                    + "  END IF;\n"
                    + "  IF p_commit THEN COMMIT; END IF;\n"
                    + "END");
      }
   }

   private String triggerName(char op, String table)
   {
      return tooLong("rk_" + op + "_" + table, 64);
   }

   @Override
   void installTable(Connection c, TableInfo t) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         for (char op : new char[] {'I', 'U', 'D'}) {
            st.execute(trigger(t, op));
         }
      }
   }

   private String trigger(TableInfo t, char op)
   {
      final String event = op == 'I' ? "INSERT" : op == 'U' ? "UPDATE" : "DELETE";
      final var sb = new StringBuilder();
      sb.append("CREATE OR REPLACE TRIGGER ").append(dialect().quote(t.schema())).append('.').append(dialect().quote(triggerName(op, t.name())))
        .append(" AFTER ").append(event).append(" ON ").append(dialect().qualified(t.schema(), t.name()))
        .append(" FOR EACH ROW BEGIN\n")
        .append("  IF @replkit_apply IS NULL THEN\n")
        .append("    IF @replkit_session IS NULL THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = ")
        .append(sqlString(trim("table " + t.schema() + "." + t.name() + " is replicated by ReplKit: write it through a jdbc:replkit: connection (or SET @replkit_apply = 1 to change it without replicating)")))
        .append("; END IF;\n");
      if (t.key().isEmpty()) {
         sb.append("    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = ")
           .append(sqlString(trim("ReplKit cannot capture writes to table " + t.schema() + "." + t.name() + ": it has no primary key. Add one, configure a unique key (replkit.keys), or exclude the table (replkit.exclude)")))
           .append(";\n");
      }
      else {
         sb.append("    SET @rk_tx = COALESCE(@rk_tx, NEXT VALUE FOR ").append(log.table("rk_txid")).append(");\n")
           .append("    INSERT INTO ").append(log.table("rk_change")).append(" (tx, op, schema_name, table_name, before_image, after_image) VALUES (@rk_tx, '")
           .append(op).append("', ").append(sqlString(t.schema())).append(", ").append(sqlString(t.name())).append(", ")
           .append(op == 'I' ? "NULL" : image(t, "OLD")).append(", ")
           .append(op == 'D' ? "NULL" : image(t, "NEW")).append(");\n");
      }
      return sb.append("  END IF;\nEND").toString();
   }

   private static String trim(String message)
   {
      return message.length() <= 500 ? message : message.substring(0, 500);
   }

   private String image(TableInfo t, String row)
   {
      final var sb = new StringBuilder("JSON_OBJECT(");
      boolean first = true;
      for (TableInfo.Column col : t.columns().values()) {
         if (!first) {
            sb.append(", ");
         }
         first = false;
         final String ref = row + '.' + dialect().quote(col.name());
         sb.append(sqlString(col.name())).append(", ");
         final String type = col.typeName() == null ? "" : col.typeName().toUpperCase(Locale.ROOT);
         if (col.kind() == ColumnKind.BINARY) {
            sb.append("HEX(").append(ref).append(')');
         }
         else if (col.kind() == ColumnKind.TIMESTAMP_TZ) {
            sb.append("UNIX_TIMESTAMP(").append(ref).append(')');
         }
         else if (type.startsWith("BIT")) {
            sb.append("CAST(").append(ref).append(" AS UNSIGNED)");
         }
         else {
            sb.append(ref);
         }
      }
      return sb.append(')').toString();
   }

   @Override
   void removeTable(Connection c, String schema, String table) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         for (char op : new char[] {'I', 'U', 'D'}) {
            st.execute("DROP TRIGGER IF EXISTS " + dialect().quote(schema) + '.' + dialect().quote(triggerName(op, table)));
         }
      }
   }

   @Override
   boolean hasTrigger(Connection c, String schema, String table) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement(
         "SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?")) {
         ps.setString(1, schema);
         ps.setString(2, triggerName('I', table));
         try (ResultSet rs = ps.executeQuery()) {
            return rs.next();
         }
      }
   }

   @Override
   void startSession(Connection c, String site) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SET @replkit_session = ?, @rk_tx = NULL")) {
         ps.setString(1, site);
         ps.execute();
      }
   }

   @Override
   void commit(Connection c, String site) throws SQLException
   {
      call(c, site, true);
      c.commit(); // the connector sees no open transaction: no round trip
   }

   @Override
   void writeCommitRecord(Connection c, String site) throws SQLException
   {
      call(c, site, false);
   }

   private void call(Connection c, String site, boolean commit) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("CALL " + dialect().quote(log.schema()) + ".rk_commit(?, ?)")) {
         ps.setString(1, site);
         ps.setBoolean(2, commit);
         ps.execute();
      }
   }

   @Override
   void endTransaction(Connection c) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         st.execute("SET @rk_tx = NULL");
      }
   }

   @Override
   String transactionIdExpression()
   {
      return "@rk_tx := COALESCE(@rk_tx, NEXT VALUE FOR " + log.table("rk_txid") + ")";
   }

   @Override
   boolean ddlCommits()
   {
      return true;
   }
}
