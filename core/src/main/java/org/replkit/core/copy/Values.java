package org.replkit.core.copy;

import org.replkit.core.changelog.ColumnKind;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.json.Json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Column values on their way through a copy, by {@link ColumnKind}: read from a source row as one Java
 * type per kind (the types {@link ColumnKind#decode} gives: Long or BigInteger, BigDecimal, Float,
 * Double, String, byte[], LocalDate, LocalTime, LocalDateTime, OffsetDateTime, UUID, Boolean), written
 * to a file as the row-image JSON value ColumnKind decodes back exactly, and bound into the target.
 */
final class Values
{
   private Values()
   {
   }

   static Object read(ResultSet rs, int i, TableDef.Col c, Dialect d) throws SQLException
   {
      final Object v = switch (c.kind()) {
         case BOOLEAN -> {
            final boolean b = rs.getBoolean(i);
            yield rs.wasNull() ? null : b;
         }
         case INTEGER -> {
            if (c.nativeType() != null && c.nativeType().toLowerCase(java.util.Locale.ROOT).startsWith("year")) { // MariaDB YEAR reads as a date
               final int y = rs.getInt(i);
               yield rs.wasNull() ? null : (long) y;
            }
            final Object o = rs.getObject(i);
            yield o == null ? null : integer(o);
         }
         case DECIMAL -> rs.getBigDecimal(i);
         case REAL -> {
            final float f = rs.getFloat(i);
            yield rs.wasNull() ? null : f;
         }
         case DOUBLE -> {
            final double x = rs.getDouble(i);
            yield rs.wasNull() ? null : x;
         }
         case BINARY -> rs.getBytes(i);
         case DATE -> rs.getObject(i, LocalDate.class);
         case TIME -> {
            try {
               yield rs.getObject(i, LocalTime.class);
            }
            catch (SQLException | RuntimeException e) {
               yield rs.getString(i); // MariaDB TIME beyond a day or negative: only the text form holds it
            }
         }
         case TIMESTAMP -> rs.getObject(i, LocalDateTime.class);
         case TIMESTAMP_TZ -> rs.getObject(i, OffsetDateTime.class);
         case UUID -> {
            final String s = rs.getString(i);
            yield s == null ? null : UUID.fromString(s);
         }
         case TEXT, JSON, OTHER -> rs.getString(i);
      };
      return v;
   }

   private static Object integer(Object o)
   {
      if (o instanceof Long || o instanceof BigInteger) {
         return o;
      }
      if (o instanceof Boolean b) {
         return b ? 1L : 0L;
      }
      if (o instanceof byte[] bits) { // MariaDB BIT(n)
         long v = 0;
         for (byte b : bits) {
            v = (v << 8) | (b & 0xff);
         }
         return v;
      }
      if (o instanceof BigDecimal d) {
         final BigInteger bi = d.toBigIntegerExact();
         return bi.bitLength() < 64 ? (Object) bi.longValue() : bi;
      }
      return ((Number) o).longValue();
   }

   /** The value as a row-image JSON value (see {@link ColumnKind}): what {@link ColumnKind#decode} reads back. */
   static Object encode(Object v)
   {
      if (v == null || v instanceof Boolean || v instanceof String || v instanceof BigDecimal || v instanceof Float || v instanceof Double) {
         return v;
      }
      if (v instanceof Long l) {
         return BigDecimal.valueOf(l);
      }
      if (v instanceof BigInteger bi) {
         return new BigDecimal(bi);
      }
      if (v instanceof byte[] b) {
         return HexFormat.of().formatHex(b);
      }
      return v.toString(); // temporals as ISO-8601, UUID as text
   }

   /** Roughly the value's size in bytes, for progress and rates. */
   static long size(Object v)
   {
      if (v == null) {
         return 1;
      }
      if (v instanceof String s) {
         return s.length();
      }
      if (v instanceof byte[] b) {
         return b.length;
      }
      return 8;
   }

   static void bind(PreparedStatement ps, int i, ColumnKind kind, Object v, Dialect to) throws SQLException
   {
      if (v == null) {
         ps.setNull(i, to == Dialect.POSTGRESQL && (kind.nullType == Types.OTHER || kind == ColumnKind.TEXT) ? Types.OTHER
                       : kind.nullType == Types.OTHER ? Types.VARCHAR
                       : to == Dialect.MARIADB && kind == ColumnKind.TIMESTAMP_TZ ? Types.TIMESTAMP : kind.nullType);
         return;
      }
      switch (kind) {
         case TEXT, JSON, OTHER -> {
            if (to == Dialect.POSTGRESQL) {
               ps.setObject(i, v.toString(), Types.OTHER); // untyped: PostgreSQL casts to the column (enum, json, arrays, ...)
            }
            else if (to == Dialect.H2 && kind == ColumnKind.JSON) {
               ps.setBytes(i, v.toString().getBytes(StandardCharsets.UTF_8)); // H2 parses bytes as JSON; a string would become a JSON string
            }
            else {
               ps.setString(i, v.toString());
            }
         }
         case INTEGER -> ps.setObject(i, v instanceof BigInteger bi ? new BigDecimal(bi) : v);
         case UUID -> {
            if (to == Dialect.MARIADB) {
               ps.setString(i, v.toString());
            }
            else {
               ps.setObject(i, v);
            }
         }
         case TIMESTAMP_TZ -> {
            if (to == Dialect.MARIADB) {
               ps.setTimestamp(i, Timestamp.from(((OffsetDateTime) v).toInstant()));
            }
            else {
               ps.setObject(i, v);
            }
         }
         case TIME -> {
            if (v instanceof String s) {
               ps.setString(i, s);
            }
            else {
               ps.setObject(i, v);
            }
         }
         default -> ps.setObject(i, v);
      }
   }

   /** Writes one row as a JSON array line. */
   static void writeRow(StringBuilder sb, Object[] row)
   {
      sb.append('[');
      for (int i = 0; i < row.length; i++) {
         if (i > 0) {
            sb.append(',');
         }
         Json.writeValue(sb, encode(row[i]));
      }
      sb.append(']');
   }
}
