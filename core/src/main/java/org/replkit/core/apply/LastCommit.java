package org.replkit.core.apply;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code rs_lastcommit} in a replicate (or a master receiving from others): per origin, the last
 * transaction applied, written in the same transaction as its data. It is what makes apply exactly once,
 * and what an instantiation copies along with the data it exports.
 */
public final class LastCommit
{
   private LastCommit()
   {
   }

   /** The table's qualified name in the connection's database (the change log's default schema). */
   public static String table(Dialect d, Connection c) throws SQLException
   {
      return d.quote(ChangeLogSchema.defaultSchema(d, c)) + "." + d.quote("rs_lastcommit");
   }

   /** Creates the schema and table when missing; returns the table's qualified name. */
   public static String ensure(Dialect d, Connection c) throws SQLException
   {
      final String schema = ChangeLogSchema.defaultSchema(d, c);
      final String table = table(d, c);
      final String ts = d == Dialect.MARIADB ? "DATETIME(6)" : "TIMESTAMP";
      try (Statement st = c.createStatement()) {
         st.execute(d == Dialect.MARIADB ? "CREATE DATABASE IF NOT EXISTS " + d.quote(schema) : "CREATE SCHEMA IF NOT EXISTS " + d.quote(schema));
         st.execute("CREATE TABLE IF NOT EXISTS " + table + " (origin VARCHAR(128) NOT NULL PRIMARY KEY, seq BIGINT NOT NULL, committed_at " + ts
                    + ", applied_at " + ts + ")");
      }
      return table;
   }

   /** The upsert of one origin's row: parameters origin, seq, committed_at, applied_at. */
   public static String upsert(Dialect d, String table)
   {
      return switch (d) {
         case POSTGRESQL -> "INSERT INTO " + table + " (origin, seq, committed_at, applied_at) VALUES (?, ?, ?, ?)"
                            + " ON CONFLICT (origin) DO UPDATE SET seq = EXCLUDED.seq, committed_at = EXCLUDED.committed_at, applied_at = EXCLUDED.applied_at";
         case MARIADB -> "INSERT INTO " + table + " (origin, seq, committed_at, applied_at) VALUES (?, ?, ?, ?)"
                         + " ON DUPLICATE KEY UPDATE seq = VALUES(seq), committed_at = VALUES(committed_at), applied_at = VALUES(applied_at)";
         case H2 -> "MERGE INTO " + table + " (origin, seq, committed_at, applied_at) KEY (origin) VALUES (?, ?, ?, ?)";
      };
   }

   /** Every origin's last applied sequence; empty when the table does not exist. */
   public static Map<String, Long> read(Dialect d, Connection c) throws SQLException
   {
      final Map<String, Long> out = new LinkedHashMap<>();
      final String schema = ChangeLogSchema.defaultSchema(d, c);
      try (ResultSet t = d == Dialect.MARIADB ? c.getMetaData().getTables(schema, null, "rs_lastcommit", null)
                                              : c.getMetaData().getTables(null, schema, "rs_lastcommit", null)) {
         if (!t.next()) {
            return out;
         }
      }
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT origin, seq FROM " + table(d, c))) {
         while (rs.next()) {
            out.put(rs.getString(1), rs.getLong(2));
         }
      }
      return out;
   }

   /** Writes origins' positions (the caller commits). */
   public static void write(Dialect d, Connection c, Map<String, Long> positions) throws SQLException
   {
      final String table = ensure(d, c);
      final Timestamp now = Timestamp.from(Instant.now());
      try (PreparedStatement ps = c.prepareStatement(upsert(d, table))) {
         for (Map.Entry<String, Long> e : positions.entrySet()) {
            ps.setString(1, e.getKey());
            ps.setLong(2, e.getValue());
            ps.setTimestamp(3, null);
            ps.setTimestamp(4, now);
            ps.addBatch();
         }
         ps.executeBatch();
      }
   }
}
