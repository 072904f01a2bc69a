package org.replkit.jdbc.capture;

import org.h2.tools.TriggerAdapter;
import org.replkit.core.json.Json;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;

/**
 * The H2 capture trigger: writes a JSON row image for each row an INSERT, UPDATE or DELETE changes.
 * Runs inside H2, in the writing session, so the record shares the data's transaction.
 *
 * <p>The table is looked up by trigger name at the first firing: after an ALTER TABLE H2 initializes
 * the trigger with the name of its temporary copy.
 */
public final class H2CaptureTrigger extends TriggerAdapter
{
   private volatile String table;
   private boolean noKey;

   @Override
   public void init(Connection conn, String schemaName, String triggerName, String tableName, boolean before, int type)
      throws SQLException
   {
      super.init(conn, schemaName, triggerName, tableName, before, type);
      noKey = triggerName.startsWith(H2Capture.NOKEY_PREFIX);
   }

   @Override
   public void fire(Connection conn, ResultSet oldRow, ResultSet newRow) throws SQLException
   {
      final String log;
      Object tx;
      try (PreparedStatement ps = conn.prepareStatement("SELECT @RK_APPLY, @RK_SESSION, @RK_LOG, @RK_TX");
           ResultSet rs = ps.executeQuery()) {
         rs.next();
         if (rs.getObject(1) != null) {
            return; // a session applying replicated changes: not captured again
         }
         if (rs.getObject(2) == null) {
            throw new SQLException("table " + schemaName + "." + table(conn) + " is replicated by ReplKit: write it through a jdbc:replkit: "
                                   + "connection (or SET @RK_APPLY = TRUE to change it without replicating)", "55000");
         }
         log = rs.getString(3);
         tx = rs.getObject(4);
      }
      if (noKey) {
         throw new SQLException("ReplKit cannot capture writes to table " + schemaName + "." + table(conn) + ": it has no primary key. Add one, "
                                + "configure a unique key (replkit.keys), or exclude the table (replkit.exclude)", "55000");
      }
      final String q = '"' + log.replace("\"", "\"\"") + '"';
      if (tx == null) {
         try (PreparedStatement ps = conn.prepareStatement("SELECT SET(@RK_TX, NEXT VALUE FOR " + q + ".\"rk_txid\")");
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            tx = rs.getLong(1);
         }
      }
      final char op = oldRow == null ? 'I' : newRow == null ? 'D' : 'U';
      try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + q + ".\"rk_change\" (tx, op, schema_name, table_name, before_image, after_image) VALUES (?, ?, ?, ?, ?, ?)")) {
         ps.setLong(1, ((Number) tx).longValue());
         ps.setString(2, String.valueOf(op));
         ps.setString(3, schemaName);
         ps.setString(4, table(conn));
         ps.setString(5, oldRow == null ? null : image(oldRow));
         ps.setString(6, newRow == null ? null : image(newRow));
         ps.executeUpdate();
      }
   }

   private String table(Connection conn) throws SQLException
   {
      String t = table;
      if (t == null) {
         try (PreparedStatement ps = conn.prepareStatement("SELECT EVENT_OBJECT_TABLE FROM INFORMATION_SCHEMA.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?")) {
            ps.setString(1, schemaName);
            ps.setString(2, triggerName);
            try (ResultSet rs = ps.executeQuery()) {
               t = rs.next() ? rs.getString(1) : tableName;
            }
         }
         table = t;
      }
      return t;
   }

   static String image(ResultSet row) throws SQLException
   {
      final ResultSetMetaData md = row.getMetaData();
      final int n = md.getColumnCount();
      final var sb = new StringBuilder(32 * n);
      sb.append('{');
      for (int i = 1; i <= n; i++) {
         if (i > 1) {
            sb.append(',');
         }
         Json.writeString(sb, md.getColumnName(i));
         sb.append(':');
         Json.writeValue(sb, value(row, i, md.getColumnType(i), md.getColumnTypeName(i)));
      }
      return sb.append('}').toString();
   }

   private static Object value(ResultSet row, int i, int type, String typeName) throws SQLException
   {
      final String tn = typeName == null ? "" : typeName.toUpperCase(Locale.ROOT);
      final Object v;
      if (tn.equals("UUID")) {
         v = row.getObject(i, UUID.class);
      }
      else if (tn.startsWith("JSON")) {
         final byte[] b = row.getBytes(i);
         v = b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
      }
      else {
         switch (type) {
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> {
               final byte[] b = row.getBytes(i);
               v = b == null ? null : HexFormat.of().formatHex(b);
            }
            case Types.DATE -> v = row.getObject(i, LocalDate.class);
            case Types.TIME -> v = row.getObject(i, LocalTime.class);
            case Types.TIME_WITH_TIMEZONE -> v = row.getObject(i, OffsetTime.class);
            case Types.TIMESTAMP -> v = row.getObject(i, LocalDateTime.class);
            case Types.TIMESTAMP_WITH_TIMEZONE -> v = row.getObject(i, OffsetDateTime.class);
            case Types.DECIMAL, Types.NUMERIC -> v = row.getBigDecimal(i);
            case Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.CLOB, Types.NCHAR, Types.NVARCHAR, Types.NCLOB -> v = row.getString(i);
            case Types.BOOLEAN, Types.BIT, Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT,
                 Types.REAL, Types.FLOAT, Types.DOUBLE -> v = row.getObject(i);
            default -> v = row.getString(i);
         }
      }
      return v instanceof String || v instanceof Number || v instanceof Boolean || v == null ? v : v.toString();
   }
}
