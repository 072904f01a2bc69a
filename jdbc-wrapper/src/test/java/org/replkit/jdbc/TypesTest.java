package org.replkit.jdbc;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/** Every common type survives capture and replay exactly: a row of edge values and a row of NULLs. */
class TypesTest
{
   private static String ddl(Kind kind)
   {
      return switch (kind) {
         case POSTGRESQL -> "CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(20,6), d DOUBLE PRECISION, r REAL, big BIGINT, sm SMALLINT,"
                            + " ts TIMESTAMP(6), tz TIMESTAMPTZ, dt DATE, tm TIME(6), bin BYTEA, txt TEXT, lob BYTEA, b BOOLEAN, u UUID, j JSON, jb JSONB)";
         case MARIADB -> "CREATE TABLE t (id INT PRIMARY KEY, n DECIMAL(20,6), d DOUBLE, r FLOAT, big BIGINT, sm SMALLINT,"
                         + " ts DATETIME(6), tz TIMESTAMP(6) NULL, dt DATE, tm TIME(6), bin VARBINARY(64), txt LONGTEXT, lob LONGBLOB, b BOOLEAN, u UUID, j JSON, jb JSON)";
         case H2 -> "CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(20,6), d DOUBLE PRECISION, r REAL, big BIGINT, sm SMALLINT,"
                    + " ts TIMESTAMP(9), tz TIMESTAMP(6) WITH TIME ZONE, dt DATE, tm TIME(9), bin VARBINARY(64), txt CLOB, lob BLOB, b BOOLEAN, u UUID, j JSON, jb JSON)";
      };
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void everyCommonTypeRoundTripsExactly(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "types"); TestDb rep = TestDatabases.create(kind, "types_rep")) {
         db.exec(ddl(kind));
         rep.exec(ddl(kind));
         final String bigText = "x\u00e9\u4e2d\"'\\\n\t".repeat(20_000);
         final byte[] bigBlob = new byte[300_000];
         for (int i = 0; i < bigBlob.length; i++) {
            bigBlob[i] = (byte) (i * 31);
         }
         try (Connection c = DriverManager.getConnection(db.replkitUrl());
              PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            int i = 1;
            ps.setInt(i++, 1);
            ps.setBigDecimal(i++, new BigDecimal("-12345678901234.500000"));
            ps.setDouble(i++, 0.1 + 0.2);
            ps.setFloat(i++, 1.1f);
            ps.setLong(i++, Long.MIN_VALUE + 1);
            ps.setShort(i++, (short) -32768);
            ps.setObject(i++, LocalDateTime.of(1999, 12, 31, 23, 59, 59, 123456000));
            ps.setObject(i++, OffsetDateTime.of(2024, 2, 29, 12, 30, 45, 654321000, ZoneOffset.UTC));
            ps.setObject(i++, LocalDate.of(1970, 1, 1));
            ps.setObject(i++, LocalTime.of(23, 59, 58, 999999000));
            ps.setBytes(i++, new byte[] {0, 1, (byte) 0xff, 0x41});
            ps.setString(i++, bigText);
            ps.setBytes(i++, bigBlob);
            ps.setBoolean(i++, true);
            if (kind == Kind.MARIADB) {
               ps.setString(i++, "5b1e9a2c-8f1d-4a55-9c7e-0a1b2c3d4e5f");
            }
            else {
               ps.setObject(i++, UUID.fromString("5b1e9a2c-8f1d-4a55-9c7e-0a1b2c3d4e5f"));
            }
            if (kind == Kind.POSTGRESQL) {
               ps.setObject(i++, "{\"a\": [1, 2.50, \"x\"],  \"b\": null}", Types.OTHER);
               ps.setObject(i++, "{\"k\": {\"n\": 1.0}}", Types.OTHER);
            }
            else if (kind == Kind.H2) {
               ps.setObject(i++, "{\"a\":[1,2.50,\"x\"],\"b\":null}".getBytes(java.nio.charset.StandardCharsets.UTF_8), Types.OTHER);
               ps.setObject(i++, "{\"k\":{\"n\":1.0}}".getBytes(java.nio.charset.StandardCharsets.UTF_8), Types.OTHER);
            }
            else {
               ps.setString(i++, "{\"a\": [1, 2.50, \"x\"],  \"b\": null}");
               ps.setString(i++, "{\"k\": {\"n\": 1.0}}");
            }
            ps.executeUpdate();
            ps.setInt(1, 2);
            for (int k = 2; k <= 17; k++) {
               ps.setNull(k, Types.NULL);
            }
            ps.executeUpdate();
         }
         try (Connection p = db.connect(); Connection r = rep.connect(); Replay replay = new Replay(p, r)) {
            assertEquals(2, replay.drain());
         }
         final List<String> primary = db.rows("t", "id");
         assertEquals(2, primary.size());
         assertTrue(primary.get(0).contains("-12345678901234.500000"), primary.get(0).substring(0, 200));
         assertEquals(primary, rep.rows("t", "id"));
      }
   }
}
