package org.replkit.core;

import org.junit.jupiter.api.Test;
import org.replkit.core.changelog.ColumnKind;
import org.replkit.core.json.Json;

import java.math.BigDecimal;
import java.sql.Types;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RowImageTest
{
   @Test
   void numbersKeepTheirExactTextAndNestedJsonItsWhitespace()
   {
      final Map<String, Object> m = Json.parseObject("{\"d\": 1.500, \"f\": 0.30000000000000004, \"e\": 1e301, \"j\": {\"a\": [1, 2]}, \"s\": \"x\\\"\\u00e9\\n\", \"n\": null, \"b\": true}");
      assertEquals(new BigDecimal("1.500"), m.get("d"));
      assertEquals(3, ((BigDecimal) m.get("d")).scale());
      assertEquals(0.30000000000000004, ((BigDecimal) m.get("f")).doubleValue());
      assertEquals(new Json.Raw("{\"a\": [1, 2]}"), m.get("j"));
      assertEquals("x\"\u00e9\n", m.get("s"));
      assertNull(m.get("n"));
      assertTrue(m.containsKey("n"));
      assertEquals(Boolean.TRUE, m.get("b"));
   }

   @Test
   void numbersReadTheSameAsBigDecimalsParser()
   {
      final java.util.Random r = new java.util.Random(42);
      final java.util.List<String> texts = new java.util.ArrayList<>(java.util.List.of(
         "0", "-0", "0.0", "-0.000", "7", "-7", "123456789012345678", "-123456789012345678", "1234567890123456789", "99999999999999999999",
         "1.5", "1.500", "-12345678901234.000001", "0.30000000000000004", "1e3", "1E-7", "-2.5e+10", "9223372036854775807", "-9223372036854775808",
         "1."));
      for (int i = 0; i < 2000; i++) {
         final String digits = Long.toString(Math.abs(r.nextLong()) % (long) Math.pow(10, 1 + r.nextInt(18)));
         final int point = r.nextInt(digits.length() + 1);
         final String t = (r.nextBoolean() ? "-" : "") + (point == 0 || point == digits.length() ? digits : digits.substring(0, point) + "." + digits.substring(point));
         texts.add(t);
      }
      for (String t : texts) {
         final BigDecimal read = (BigDecimal) Json.parseObject("{\"v\": " + t + "}").get("v");
         final BigDecimal expected = new BigDecimal(t);
         assertEquals(expected, read, t); // equals compares the scale too
         final Object asInteger = expected.stripTrailingZeros().scale() <= 0 ? ColumnKind.INTEGER.decode(read) : null;
         if (asInteger != null) {
            assertEquals(expected.toBigIntegerExact().toString(), asInteger.toString(), t);
            assertEquals(expected.toBigIntegerExact().bitLength() < 64 ? Long.class : java.math.BigInteger.class, asInteger.getClass(), t);
         }
      }
      assertThrows(IllegalArgumentException.class, () -> Json.parseObject("{\"v\": -}"));
   }

   @Test
   void writeThenParseIsTheIdentity()
   {
      final Map<String, Object> row = new LinkedHashMap<>();
      row.put("a", new BigDecimal("-0.000100"));
      row.put("q\"uote", "line\nbreak\t\u0001");
      row.put("nil", null);
      row.put("t", Boolean.FALSE);
      assertEquals(row, Json.parseObject(Json.writeObject(row)));
   }

   @Test
   void badImagesNameTheOffset()
   {
      final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parseObject("{\"a\": 1,, }"));
      assertTrue(e.getMessage().contains("offset"), e.getMessage());
   }

   @Test
   void decodesEachDatabasesSpelling()
   {
      assertArrayEquals(new byte[] {0, (byte) 0xff}, (byte[]) ColumnKind.BINARY.decode("\\x00ff"));
      assertArrayEquals(new byte[] {0, (byte) 0xff}, (byte[]) ColumnKind.BINARY.decode("00FF"));
      assertEquals(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 500_000_000), ColumnKind.TIMESTAMP.decode("2024-01-02 03:04:05.5"));
      assertEquals(OffsetDateTime.parse("2024-01-02T03:04:05.123456Z"), ColumnKind.TIMESTAMP_TZ.decode(new BigDecimal("1704164645.123456")));
      assertEquals(OffsetDateTime.parse("2024-01-02T03:04:05+01:00"), ColumnKind.TIMESTAMP_TZ.decode("2024-01-02T03:04:05+01"));
      assertEquals(LocalTime.of(10, 0, 0, 500_000_000), ColumnKind.TIME.decode("10:00:00.5"));
      assertEquals("-12:30:00.50", ColumnKind.TIME.decode("-12:30:00.50"), "MariaDB TIME beyond a day stays text");
      assertEquals(Long.MAX_VALUE, ColumnKind.INTEGER.decode(new BigDecimal(Long.MAX_VALUE)));
      assertEquals(Float.NaN, ColumnKind.REAL.decode("NaN"));
      assertEquals(ColumnKind.TIMESTAMP_TZ, ColumnKind.of(Types.TIMESTAMP, "timestamptz"));
      assertEquals(ColumnKind.UUID, ColumnKind.of(Types.BINARY, "UUID"));
      final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ColumnKind.DATE.decode("yesterday"));
      assertTrue(e.getMessage().contains("DATE") && e.getMessage().contains("yesterday"), e.getMessage());
   }

   @Test
   void timestampsReadTheSameAsTheIsoParserDoes()
   {
      for (String s : new String[] {"2024-01-02T03:04:05", "2024-01-02 03:04:05", "2024-01-02 03:04:05.5", "2024-01-02T03:04:05.123456",
                                    "2024-01-02T03:04:05.123456789", "0001-01-01T00:00:00", "9999-12-31 23:59:59.999999", "2024-02-29T12:00:00.05",
                                    "2024-01-02T03:04", "2024-01-02T03:04:05.", "+12024-01-02T03:04:05", "-0044-03-15T12:00:00"}) {
         assertEquals(LocalDateTime.parse(s.replace(' ', 'T')), ColumnKind.TIMESTAMP.decode(s), s);
      }
      for (String bad : new String[] {"2023-02-29T00:00:00", "2024-13-01T00:00:00", "2024-01-02T24:00:00", "2024-01-02T03:04:60",
                                      "2024-01-02T03:04:05.1234567890", "2024-01-02X03:04:05", "2024-1-02T03:04:05",
                                      "2024-01-02T03:04:0a", "infinity"}) {
         assertThrows(IllegalArgumentException.class, () -> ColumnKind.TIMESTAMP.decode(bad), bad);
      }
   }
}
