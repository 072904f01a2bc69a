package org.replkit.core.verify;

import org.replkit.core.changelog.Dialect;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code replkit verify}: compares tables of two databases (of any supported kinds) by chunked checksums.
 *
 * <p>Chunk bounds are keys of the source taken every {@code chunkSize} rows in key order; chunk i holds
 * the keys {@code > bound(i-1) and <= bound(i)}, the first has no lower bound and the last no upper bound,
 * so every key of either side falls into exactly one chunk: no boundary row is counted twice (which
 * could cancel out a missing one) and no row beyond the source's range escapes. Each side's chunk
 * checksum is an order-independent sum of row hashes over values normalized across databases
 * (numbers without trailing zeros, booleans as 1/0, binary as hex, temporals as ISO text). Only the
 * chunks whose checksums differ are compared row by row, to list the differing keys.
 */
public final class Verify
{
   public record Result(boolean identical, List<String> report, List<String> differingKeys)
   {
   }

   private static final int MAX_LISTED = 100;

   private final Connection source;
   private final Connection target;
   private final Dialect sd;
   private final Dialect td;
   private final int chunkSize;

   public Verify(Connection source, Connection target, int chunkSize) throws SQLException
   {
      this.source = source;
      this.target = target;
      this.sd = Dialect.of(source);
      this.td = Dialect.of(target);
      this.chunkSize = chunkSize;
   }

   /** Compares the given tables (empty: every table of the source's current schema). */
   public Result run(List<String> tables) throws SQLException
   {
      final List<String> names = tables.isEmpty() ? allTables(source, sd) : tables;
      final List<String> report = new ArrayList<>();
      final List<String> keys = new ArrayList<>();
      boolean identical = true;
      for (String t : names) {
         identical &= table(t, report, keys);
      }
      return new Result(identical, report, keys);
   }

   private boolean table(String requested, List<String> report, List<String> diffKeys) throws SQLException
   {
      final String st = resolve(source, sd, requested);
      if (st == null) {
         throw new SQLException("table " + requested + " does not exist at the source", "42P01");
      }
      final String tt = resolve(target, td, requested);
      if (tt == null) {
         report.add(requested + ": MISSING at the target");
         diffKeys.add(requested + ": (whole table)");
         return false;
      }
      final List<String> key = primaryKey(source, sd, st);
      if (key.isEmpty()) {
         throw new SQLException("table " + st + " has no primary key at the source: verify compares rows by key", "42P10");
      }
      final List<String> scols = columns(source, sd, st);
      final List<String> tcols = columns(target, td, tt);
      final List<String> tmatch = new ArrayList<>();
      for (String c : scols) {
         final String m = tcols.stream().filter(x -> x.equalsIgnoreCase(c)).findFirst().orElse(null);
         if (m == null) {
            report.add(requested + ": column " + c + " is MISSING at the target");
            diffKeys.add(requested + ": (column " + c + ")");
            return false;
         }
         tmatch.add(m);
      }
      final List<String> tkey = key.stream().map(k -> tmatch.get(indexIgnoreCase(scols, k))).toList();
      final List<Object[]> bounds = bounds(st, key);
      final Map<String, String> missing = new TreeMap<>();
      final Map<String, String> extra = new TreeMap<>();
      final List<String> changed = new ArrayList<>();
      long srcRows = 0;
      long tgtRows = 0;
      int differingChunks = 0;
      for (int i = 0; i <= bounds.size(); i++) {
         final Object[] lo = i == 0 ? null : bounds.get(i - 1);
         final Object[] hi = i == bounds.size() ? null : bounds.get(i);
         final Map<String, String> s = new LinkedHashMap<>();
         final Map<String, String> t = new LinkedHashMap<>();
         final long[] sh = chunk(source, sd, st, scols, key, lo, hi, null);
         final long[] th = chunk(target, td, tt, tmatch, tkey, lo, hi, null);
         srcRows += sh[1];
         tgtRows += th[1];
         if (sh[0] == th[0] && sh[1] == th[1]) {
            continue;
         }
         differingChunks++;
         chunk(source, sd, st, scols, key, lo, hi, s);
         chunk(target, td, tt, tmatch, tkey, lo, hi, t);
         for (var e : s.entrySet()) {
            final String other = t.remove(e.getKey());
            if (other == null) {
               missing.put(e.getKey(), e.getValue());
            }
            else if (!other.equals(e.getValue())) {
               changed.add(e.getKey() + " (differs in " + differing(scols, e.getValue(), other) + ")");
            }
         }
         extra.putAll(t);
      }
      // a key one database's collation put into a neighbouring chunk is not a difference
      for (var it = missing.entrySet().iterator(); it.hasNext(); ) {
         final var e = it.next();
         final String other = extra.remove(e.getKey());
         if (other != null) {
            it.remove();
            if (!other.equals(e.getValue())) {
               changed.add(e.getKey() + " (differs in " + differing(scols, e.getValue(), other) + ")");
            }
         }
      }
      final List<String> all = new ArrayList<>(changed);
      missing.keySet().forEach(k -> all.add(k + " (missing at the target)"));
      extra.keySet().forEach(k -> all.add(k + " (only at the target)"));
      final String counts = srcRows + " rows at the source, " + tgtRows + " at the target, " + (bounds.size() + 1) + " chunks";
      if (all.isEmpty()) {
         report.add(requested + ": identical (" + counts + ")");
         return true;
      }
      report.add(requested + ": DIFFERENT (" + counts + ", " + differingChunks + " differing; " + all.size() + " differing keys)");
      for (int i = 0; i < Math.min(all.size(), MAX_LISTED); i++) {
         report.add("  " + all.get(i));
         diffKeys.add(requested + ": " + all.get(i));
      }
      if (all.size() > MAX_LISTED) {
         report.add("  ... and " + (all.size() - MAX_LISTED) + " more");
      }
      return false;
   }

   /** The names of the columns whose normalized values differ (names only: verify output carries no row data). */
   private static String differing(List<String> columns, String a, String b)
   {
      final String[] x = a.split("\u0001", -1);
      final String[] y = b.split("\u0001", -1);
      final List<String> out = new ArrayList<>();
      for (int i = 0; i < columns.size(); i++) {
         if (!x[i].equals(y[i])) {
            out.add(columns.get(i));
         }
      }
      return String.join(", ", out);
   }

   /** Every chunkSize-th key of the source in key order: the upper bounds of the chunks. */
   private List<Object[]> bounds(String table, List<String> key) throws SQLException
   {
      final List<Object[]> out = new ArrayList<>();
      try (Statement s = source.createStatement()) {
         s.setFetchSize(1000);
         try (ResultSet rs = s.executeQuery("SELECT " + cols(sd, key) + " FROM " + sd.quote(table) + " ORDER BY " + cols(sd, key))) {
            long n = 0;
            while (rs.next()) {
               if (++n % chunkSize == 0) {
                  final Object[] b = new Object[key.size()];
                  for (int i = 0; i < b.length; i++) {
                     b[i] = rs.getObject(i + 1);
                  }
                  out.add(b);
               }
            }
         }
      }
      return out;
   }

   /** Checksum and count of one chunk ({@code rows} null), or its rows by key into {@code rows}. */
   private static long[] chunk(Connection c, Dialect d, String table, List<String> columns, List<String> key, Object[] lo, Object[] hi,
                               Map<String, String> rows) throws SQLException
   {
      final StringBuilder sql = new StringBuilder("SELECT ").append(cols(d, columns)).append(" FROM ").append(d.quote(table));
      final String k = key.size() == 1 ? d.quote(key.get(0)) : "(" + cols(d, key) + ")";
      final String p = key.size() == 1 ? "?" : "(" + "?, ".repeat(key.size() - 1) + "?)";
      if (lo != null || hi != null) {
         sql.append(" WHERE ");
         if (lo != null) {
            sql.append(k).append(" > ").append(p);
         }
         if (hi != null) {
            sql.append(lo != null ? " AND " : "").append(k).append(" <= ").append(p);
         }
      }
      final int[] keyIdx = key.stream().mapToInt(x -> indexIgnoreCase(columns, x)).toArray();
      long sum = 0;
      long count = 0;
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
         int i = 1;
         for (Object[] b : new Object[][] {lo, hi}) {
            if (b != null) {
               for (Object v : b) {
                  ps.setObject(i++, v);
               }
            }
         }
         ps.setFetchSize(1000);
         try (ResultSet rs = ps.executeQuery()) {
            final int n = columns.size();
            final String[] vals = new String[n];
            final boolean[] json = new boolean[n];
            for (int j = 0; j < n; j++) {
               final String type = rs.getMetaData().getColumnTypeName(j + 1);
               json[j] = type != null && (type.equalsIgnoreCase("json") || type.equalsIgnoreCase("jsonb"));
            }
            while (rs.next()) {
               for (int j = 0; j < n; j++) {
                  vals[j] = json[j] ? compactJson(rs.getString(j + 1)) : normalize(rs.getObject(j + 1));
               }
               final String row = String.join("\u0001", vals);
               count++;
               if (rows == null) {
                  sum += hash(row);
               }
               else {
                  final StringBuilder kb = new StringBuilder();
                  for (int j = 0; j < keyIdx.length; j++) {
                     kb.append(j > 0 ? ", " : "").append(key.get(j).toLowerCase(Locale.ROOT)).append('=').append(vals[keyIdx[j]]);
                  }
                  rows.put(kb.toString(), row);
               }
            }
         }
      }
      return new long[] {sum, count};
   }

   /** JSON text without insignificant whitespace: PostgreSQL's jsonb, H2 and MariaDB print it differently. */
   static String compactJson(String s)
   {
      if (s == null) {
         return "\u0000";
      }
      final StringBuilder sb = new StringBuilder(s.length());
      boolean inString = false;
      for (int i = 0; i < s.length(); i++) {
         final char c = s.charAt(i);
         if (inString) {
            sb.append(c);
            if (c == '\\' && i + 1 < s.length()) {
               sb.append(s.charAt(++i));
            }
            else if (c == '"') {
               inString = false;
            }
         }
         else if (c == '"') {
            inString = true;
            sb.append(c);
         }
         else if (!Character.isWhitespace(c)) {
            sb.append(c);
         }
      }
      return sb.toString();
   }

   static String normalize(Object v) throws SQLException
   {
      if (v == null) {
         return "\u0000";
      }
      if (v instanceof Boolean b) {
         return b ? "1" : "0";
      }
      if (v instanceof BigDecimal d) {
         return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
      }
      if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof BigInteger) {
         return v.toString();
      }
      if (v instanceof Float f) {
         return new BigDecimal(Float.toString(f)).stripTrailingZeros().toPlainString();
      }
      if (v instanceof Double x) {
         return Double.isFinite(x) ? BigDecimal.valueOf(x).stripTrailingZeros().toPlainString() : x.toString();
      }
      if (v instanceof byte[] b) {
         return HexFormat.of().formatHex(b);
      }
      if (v instanceof java.sql.Timestamp t) {
         return t.toLocalDateTime().toString();
      }
      if (v instanceof java.sql.Date dt) {
         return dt.toLocalDate().toString();
      }
      if (v instanceof java.sql.Time tm) {
         return tm.toLocalTime().toString();
      }
      if (v instanceof OffsetDateTime o) {
         return o.atZoneSameInstant(ZoneId.systemDefault()).toLocalDateTime().toString();
      }
      if (v instanceof java.time.ZonedDateTime z) {
         return z.withZoneSameInstant(ZoneId.systemDefault()).toLocalDateTime().toString();
      }
      if (v instanceof Clob c) {
         return c.getSubString(1, (int) c.length());
      }
      return v.toString();
   }

   private static long hash(String row)
   {
      try {
         final byte[] h = MessageDigest.getInstance("SHA-256").digest(row.getBytes(StandardCharsets.UTF_8));
         long x = 0;
         for (int i = 0; i < 8; i++) {
            x = (x << 8) | (h[i] & 0xff);
         }
         return x;
      }
      catch (NoSuchAlgorithmException e) {
         throw new IllegalStateException(e);
      }
   }

   private static String cols(Dialect d, List<String> cols)
   {
      final StringBuilder sb = new StringBuilder();
      for (String c : cols) {
         sb.append(sb.length() > 0 ? ", " : "").append(d.quote(c));
      }
      return sb.toString();
   }

   private static int indexIgnoreCase(List<String> list, String s)
   {
      for (int i = 0; i < list.size(); i++) {
         if (list.get(i).equalsIgnoreCase(s)) {
            return i;
         }
      }
      return -1;
   }

   private static String schema(Connection c, Dialect d) throws SQLException
   {
      return d == Dialect.MARIADB ? c.getCatalog() : c.getSchema();
   }

   private static ResultSet tables(Connection c, Dialect d, String pattern) throws SQLException
   {
      final DatabaseMetaData md = c.getMetaData();
      final String s = schema(c, d);
      return d == Dialect.MARIADB ? md.getTables(s, null, pattern, new String[] {"TABLE", "BASE TABLE"}) : md.getTables(null, s, pattern, new String[] {"TABLE", "BASE TABLE"});
   }

   static List<String> allTables(Connection c, Dialect d) throws SQLException
   {
      final List<String> out = new ArrayList<>();
      try (ResultSet rs = tables(c, d, "%")) {
         while (rs.next()) {
            out.add(rs.getString("TABLE_NAME"));
         }
      }
      out.sort(String.CASE_INSENSITIVE_ORDER);
      return out;
   }

   /** The table's name as this database spells it (exact, else the one case-insensitive match). */
   private static String resolve(Connection c, Dialect d, String name) throws SQLException
   {
      String found = null;
      for (String t : allTables(c, d)) {
         if (t.equals(name)) {
            return t;
         }
         if (t.equalsIgnoreCase(name)) {
            found = t;
         }
      }
      return found;
   }

   private static List<String> primaryKey(Connection c, Dialect d, String table) throws SQLException
   {
      final TreeMap<Integer, String> pk = new TreeMap<>();
      final DatabaseMetaData md = c.getMetaData();
      final String s = schema(c, d);
      try (ResultSet rs = d == Dialect.MARIADB ? md.getPrimaryKeys(s, null, table) : md.getPrimaryKeys(null, s, table)) {
         while (rs.next()) {
            pk.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
         }
      }
      return new ArrayList<>(pk.values());
   }

   private static List<String> columns(Connection c, Dialect d, String table) throws SQLException
   {
      final TreeMap<Integer, String> cols = new TreeMap<>();
      final DatabaseMetaData md = c.getMetaData();
      final String s = schema(c, d);
      try (ResultSet rs = d == Dialect.MARIADB ? md.getColumns(s, null, table, null) : md.getColumns(null, s, table, null)) {
         while (rs.next()) {
            cols.put(rs.getInt("ORDINAL_POSITION"), rs.getString("COLUMN_NAME"));
         }
      }
      return new ArrayList<>(cols.values());
   }
}
