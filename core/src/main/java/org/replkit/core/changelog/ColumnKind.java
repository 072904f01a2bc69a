package org.replkit.core.changelog;

import org.replkit.core.json.Json;

import java.math.BigDecimal;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;

/**
 * How a column's value travels in a row image, and how it is turned back into a JDBC value.
 *
 * <p>Row images are JSON written by the database itself (PostgreSQL row_to_json, MariaDB JSON_OBJECT)
 * or by the H2 capture trigger. They agree on: exact numbers as JSON numbers, binary as hex (PostgreSQL's
 * {@code \x} prefix allowed), temporal values as ISO-8601 text (a space instead of 'T' allowed), and
 * MariaDB TIMESTAMP as epoch seconds, because its text form depends on the session time zone.
 */
public enum ColumnKind
{
   BOOLEAN(Types.BOOLEAN),
   INTEGER(Types.BIGINT),
   DECIMAL(Types.DECIMAL),
   REAL(Types.REAL),
   DOUBLE(Types.DOUBLE),
   TEXT(Types.VARCHAR),
   BINARY(Types.VARBINARY),
   DATE(Types.DATE),
   TIME(Types.TIME),
   TIMESTAMP(Types.TIMESTAMP),
   TIMESTAMP_TZ(Types.TIMESTAMP_WITH_TIMEZONE),
   UUID(Types.OTHER),
   JSON(Types.OTHER),
   OTHER(Types.OTHER);

   /** The JDBC type to bind a NULL of this kind with. */
   public final int nullType;

   ColumnKind(int nullType)
   {
      this.nullType = nullType;
   }

   public static ColumnKind of(int jdbcType, String typeName)
   {
      final String t = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
      if (t.equals("uuid")) {
         return UUID;
      }
      if (t.equals("json") || t.equals("jsonb")) {
         return JSON;
      }
      if (t.startsWith("timestamptz") || t.contains("with time zone") || (t.equals("timestamp") && jdbcType == Types.TIMESTAMP_WITH_TIMEZONE)) {
         return TIMESTAMP_TZ;
      }
      switch (jdbcType) {
         case Types.BOOLEAN:
            return BOOLEAN;
         case Types.BIT:
            return t.equals("bool") || t.equals("boolean") ? BOOLEAN : INTEGER;
         case Types.TINYINT:
         case Types.SMALLINT:
         case Types.INTEGER:
         case Types.BIGINT:
            return INTEGER;
         case Types.DECIMAL:
         case Types.NUMERIC:
            return DECIMAL;
         case Types.REAL:
            return REAL;
         case Types.FLOAT:
            return t.equals("float") && !t.equals("double") ? REAL : DOUBLE;
         case Types.DOUBLE:
            return DOUBLE;
         case Types.CHAR:
         case Types.VARCHAR:
         case Types.LONGVARCHAR:
         case Types.NCHAR:
         case Types.NVARCHAR:
         case Types.LONGNVARCHAR:
         case Types.CLOB:
         case Types.NCLOB:
            return TEXT;
         case Types.BINARY:
         case Types.VARBINARY:
         case Types.LONGVARBINARY:
         case Types.BLOB:
            return BINARY;
         case Types.DATE:
            return DATE;
         case Types.TIME:
         case Types.TIME_WITH_TIMEZONE:
            return TIME;
         case Types.TIMESTAMP:
            return TIMESTAMP;
         case Types.TIMESTAMP_WITH_TIMEZONE:
            return TIMESTAMP_TZ;
         default:
            return OTHER;
      }
   }

   /** The JDBC value for a row-image value of this kind; {@code null} stays null. */
   public Object decode(Object v)
   {
      if (v == null) {
         return null;
      }
      try {
         switch (this) {
            case BOOLEAN:
               if (v instanceof Boolean) {
                  return v;
               }
               if (v instanceof BigDecimal d) {
                  return d.signum() != 0;
               }
               return Boolean.parseBoolean(v.toString()) || v.toString().equals("t");
            case INTEGER:
               if (v instanceof Boolean b) {
                  return b ? 1L : 0L;
               }
               if (v instanceof BigDecimal d && d.scale() == 0 && d.precision() < 19) {
                  return d.longValue(); // the usual case, without a BigInteger
               }
               final BigDecimal i = v instanceof BigDecimal d ? d : new BigDecimal(v.toString());
               final java.math.BigInteger bi = i.toBigIntegerExact();
               return bi.bitLength() < 64 ? (Object) bi.longValue() : bi;
            case DECIMAL:
               return v instanceof BigDecimal ? v : new BigDecimal(v.toString());
            case REAL:
               return v instanceof BigDecimal d ? d.floatValue() : Float.parseFloat(v.toString());
            case DOUBLE:
               return v instanceof BigDecimal d ? d.doubleValue() : Double.parseDouble(v.toString());
            case BINARY: {
               String s = v.toString();
               if (s.startsWith("\\x")) {
                  s = s.substring(2);
               }
               return HexFormat.of().parseHex(s.toLowerCase(Locale.ROOT));
            }
            case DATE:
               return LocalDate.parse(v.toString());
            case TIME: {
               final String s = v.toString();
               try {
                  return LocalTime.parse(s);
               }
               catch (DateTimeParseException e) {
                  return s; // MariaDB TIME beyond a day or negative: only the text form holds it
               }
            }
            case TIMESTAMP: {
               final String s = v.toString();
               final LocalDateTime fast = localDateTime(s);
               return fast != null ? fast : LocalDateTime.parse(s.replace(' ', 'T'));
            }
            case TIMESTAMP_TZ: {
               if (v instanceof BigDecimal epoch) {
                  final long seconds = epoch.longValue();
                  final int nanos = epoch.subtract(BigDecimal.valueOf(seconds)).movePointRight(9).intValue();
                  return OffsetDateTime.ofInstant(Instant.ofEpochSecond(seconds, nanos), ZoneOffset.UTC);
               }
               String s = v.toString().replace(' ', 'T');
               if (s.matches(".*[+-]\\d\\d$")) {
                  s = s + ":00";
               }
               return OffsetDateTime.parse(s);
            }
            case UUID:
               return java.util.UUID.fromString(v.toString());
            case JSON:
            case TEXT:
            case OTHER:
            default:
               return v instanceof Json.Raw r ? r.text() : v instanceof BigDecimal d ? d.toString() : v.toString();
         }
      }
      catch (RuntimeException e) {
         throw new IllegalArgumentException("cannot read " + this + " value '" + v + "': " + e.getMessage(), e);
      }
   }

   /**
    * {@code yyyy-MM-dd[T ]HH:mm:ss[.f{1,9}]}, the form every capture writes, read without
    * DateTimeFormatter (its general parser costs a fifth of the apply thread's CPU on a table with a
    * timestamp); null for any other form, which LocalDateTime.parse then reads or rejects. Out-of-range
    * fields throw from LocalDateTime.of, as the strict ISO parser rejects them.
    */
   static LocalDateTime localDateTime(String s)
   {
      final int n = s.length();
      if (n < 19 || n == 20 || n > 29 || s.charAt(4) != '-' || s.charAt(7) != '-' || (s.charAt(10) != 'T' && s.charAt(10) != ' ')
          || s.charAt(13) != ':' || s.charAt(16) != ':' || (n > 19 && s.charAt(19) != '.')) {
         return null;
      }
      final int year = digits(s, 0, 4);
      final int month = digits(s, 5, 7);
      final int day = digits(s, 8, 10);
      final int hour = digits(s, 11, 13);
      final int minute = digits(s, 14, 16);
      final int second = digits(s, 17, 19);
      int nanos = 0;
      if (n > 19) {
         nanos = digits(s, 20, n);
         for (int i = n; i < 29; i++) {
            nanos *= 10;
         }
      }
      if ((year | month | day | hour | minute | second | nanos) < 0) {
         return null;
      }
      return LocalDateTime.of(year, month, day, hour, minute, second, nanos);
   }

   /** The decimal number in s[from, to), or -1 when a character there is not an ASCII digit. */
   private static int digits(String s, int from, int to)
   {
      int r = 0;
      for (int i = from; i < to; i++) {
         final char c = s.charAt(i);
         if (c < '0' || c > '9') {
            return -1;
         }
         r = r * 10 + (c - '0');
      }
      return r;
   }
}
