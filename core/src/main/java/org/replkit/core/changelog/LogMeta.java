package org.replkit.core.changelog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Keys of the change log's {@code rk_meta} table that more than one component reads, and their access.
 * They live in the primary itself so that whoever truncates the log (a replication server's log reader,
 * a standby pair) sees them without talking to the others, and so they survive restarts of either.
 */
public final class LogMeta
{
   /**
    * The highest commit sequence a hot-standby secondary has received. While set, {@link
    * ChangeLogReader#truncate} never deletes a transaction above it: the log is the catchup store.
    */
   public static final String STANDBY_RECEIVED = "standby_received";
   /** The highest sequence whose records {@link ChangeLogReader#truncate} has deleted (absent: never). */
   public static final String TRUNCATED = "truncated";

   private LogMeta()
   {
   }

   /** The value of a key, or null. Runs in the connection's current transaction. */
   public static String get(Connection c, ChangeLogSchema log, String key) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT meta_value FROM " + log.table("rk_meta") + " WHERE meta_key = ?")) {
         ps.setString(1, key);
         try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
         }
      }
   }

   /** The value of a key as a number, or {@code absent}. */
   public static long getLong(Connection c, ChangeLogSchema log, String key, long absent) throws SQLException
   {
      final String v = get(c, log, key);
      return v == null ? absent : Long.parseLong(v.trim());
   }

   /** Sets a key (insert or update). Runs in the connection's current transaction. */
   public static void put(Connection c, ChangeLogSchema log, String key, String value) throws SQLException
   {
      try (PreparedStatement up = c.prepareStatement("UPDATE " + log.table("rk_meta") + " SET meta_value = ? WHERE meta_key = ?")) {
         up.setString(1, value);
         up.setString(2, key);
         if (up.executeUpdate() > 0) {
            return;
         }
      }
      try (PreparedStatement in = c.prepareStatement("INSERT INTO " + log.table("rk_meta") + " (meta_key, meta_value) VALUES (?, ?)")) {
         in.setString(1, key);
         in.setString(2, value);
         in.executeUpdate();
      }
   }

   /** Removes a key; true when it was set. */
   public static boolean delete(Connection c, ChangeLogSchema log, String key) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + log.table("rk_meta") + " WHERE meta_key = ?")) {
         ps.setString(1, key);
         return ps.executeUpdate() > 0;
      }
   }
}
