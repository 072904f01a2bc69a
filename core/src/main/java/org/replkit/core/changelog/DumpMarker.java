package org.replkit.core.changelog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The dump-marker request of seed 000 step 6 ({@code lr_dump_marker}), kept in the primary's own change
 * log ({@code rk_meta} key {@value #KEY}) so it is set through the driver with no server involved and
 * survives restarts of either side. The log reader generates the dump marker right after it has queued
 * the transaction at the requested position, then clears the request ({@value #SENT} keeps the last one).
 */
public final class DumpMarker
{
   public static final String KEY = "dump_marker";
   public static final String SENT = "dump_marker_sent";

   private DumpMarker()
   {
   }

   /**
    * Records a dump-marker request at {@code position}, or at the end of the log now when null; returns
    * the position recorded. A negative position is refused: it names no commit.
    */
   public static long request(Connection c, ChangeLogSchema log, Long position) throws SQLException
   {
      if (position != null && position < 0) {
         throw new SQLException("lr_dump_marker: position " + position + " is negative; give a commit sequence (0 or more) or none for the end of the log", "22023");
      }
      if (!log.isInstalled(c)) {
         throw new SQLException("lr_dump_marker: this database has no ReplKit change log (schema " + log.schema() + ")", "42P01");
      }
      final long p = position != null ? position : new ChangeLogReader(log, null).position(c);
      put(c, log, KEY, Long.toString(p));
      return p;
   }

   /** The pending request's position, or null. */
   public static Long pending(Connection c, ChangeLogSchema log) throws SQLException
   {
      final String v = get(c, log, KEY);
      return v == null ? null : Long.valueOf(v);
   }

   /** Called by the log reader once the marker is in the stable queue. */
   public static void sent(Connection c, ChangeLogSchema log, long position) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + log.table("rk_meta") + " WHERE meta_key = ?")) {
         ps.setString(1, KEY);
         ps.executeUpdate();
      }
      put(c, log, SENT, Long.toString(position));
   }

   static String get(Connection c, ChangeLogSchema log, String key) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT meta_value FROM " + log.table("rk_meta") + " WHERE meta_key = ?")) {
         ps.setString(1, key);
         try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
         }
      }
   }

   static void put(Connection c, ChangeLogSchema log, String key, String value) throws SQLException
   {
      try (PreparedStatement up = c.prepareStatement("UPDATE " + log.table("rk_meta") + " SET meta_value = ? WHERE meta_key = ?")) {
         up.setString(1, value);
         up.setString(2, key);
         if (up.executeUpdate() == 0) {
            try (PreparedStatement in = c.prepareStatement("INSERT INTO " + log.table("rk_meta") + " (meta_key, meta_value) VALUES (?, ?)")) {
               in.setString(1, key);
               in.setString(2, value);
               in.executeUpdate();
            }
         }
      }
   }
}
