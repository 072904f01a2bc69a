package org.replkit.core.copy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.replkit.core.changelog.Dialect;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/** Export and load, and direct copies, between the supported databases: exact types and exact values. */
class TableCopyTest
{
   static final String BIG_TEXT = "x\u00e9\u4e2d\"'\\\n\t".repeat(20_000);
   static final byte[] BIG_BLOB = new byte[300_000];

   static {
      for (int i = 0; i < BIG_BLOB.length; i++) {
         BIG_BLOB[i] = (byte) (i * 31);
      }
   }

   static String ddl(Kind kind)
   {
      return switch (kind) {
         case POSTGRESQL -> "CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(20,6), d DOUBLE PRECISION, r REAL, big BIGINT, sm SMALLINT,"
                            + " ts TIMESTAMP(6), tz TIMESTAMPTZ, dt DATE, tm TIME(6), bin BYTEA, txt TEXT, lob BYTEA, b BOOLEAN, u UUID, j JSON,"
                            + " v VARCHAR(40) NOT NULL, c CHAR(5))";
         case MARIADB -> "CREATE TABLE t (id INT PRIMARY KEY, n DECIMAL(20,6), d DOUBLE, r FLOAT, big BIGINT, sm SMALLINT,"
                         + " ts DATETIME(6), tz TIMESTAMP(6) NULL, dt DATE, tm TIME(6), bin VARBINARY(64), txt LONGTEXT, lob LONGBLOB, b BOOLEAN, u UUID, j JSON,"
                         + " v VARCHAR(40) NOT NULL, c CHAR(5))";
         case H2 -> "CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(20,6), d DOUBLE PRECISION, r REAL, big BIGINT, sm SMALLINT,"
                    + " ts TIMESTAMP(6), tz TIMESTAMP(6) WITH TIME ZONE, dt DATE, tm TIME(6), bin VARBINARY(64), txt CLOB, lob BLOB, b BOOLEAN, u UUID, j JSON,"
                    + " v VARCHAR(40) NOT NULL, c CHAR(5))";
      };
   }

   /** The typed table with a full row, a row of NULLs, many small rows, and a secondary index. */
   static void fill(TestDb db) throws Exception
   {
      db.exec(ddl(db.kind), "CREATE INDEX t_v ON t (v)");
      try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
         c.setAutoCommit(false);
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
         ps.setString(i++, BIG_TEXT);
         ps.setBytes(i++, BIG_BLOB);
         ps.setBoolean(i++, true);
         if (db.kind == Kind.MARIADB) {
            ps.setString(i++, "5b1e9a2c-8f1d-4a55-9c7e-0a1b2c3d4e5f");
         }
         else {
            ps.setObject(i++, UUID.fromString("5b1e9a2c-8f1d-4a55-9c7e-0a1b2c3d4e5f"));
         }
         final String json = "{\"a\": [1, 2.50, \"x\"],  \"b\": null}";
         switch (db.kind) {
            case POSTGRESQL -> ps.setObject(i++, json, Types.OTHER);
            case H2 -> ps.setObject(i++, json.getBytes(StandardCharsets.UTF_8), Types.OTHER);
            case MARIADB -> ps.setString(i++, json);
         }
         ps.setString(i++, "naïve 'quoted' \u4e2d");
         ps.setString(i, "ab");
         ps.executeUpdate();
         ps.setInt(1, 2);
         for (int k = 2; k <= 18; k++) {
            ps.setNull(k, Types.NULL);
         }
         ps.setString(17, "nulls");
         ps.executeUpdate();
         for (int id = 3; id <= 1200; id++) {
            ps.setInt(1, id);
            ps.setBigDecimal(2, BigDecimal.valueOf(id, 2));
            ps.setString(17, "row " + id);
            ps.addBatch();
         }
         ps.executeBatch();
         c.commit();
      }
   }

   /** Every column of every row as a comparable value: exact numbers with their scale, instants, hex. */
   static List<String> values(TestDb db) throws Exception
   {
      final List<String> out = new ArrayList<>();
      try (Connection c = db.connect(); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT id, n, d, r, big, sm, ts, tz, dt, tm, bin, txt, lob, b, u, j, v, c FROM t ORDER BY id")) {
         while (rs.next()) {
            final List<String> row = new ArrayList<>();
            row.add(rs.getString(1));
            final BigDecimal n = rs.getBigDecimal(2);
            row.add(n == null ? null : n.toString()); // keeps the scale: 1.200000, not 1.2
            row.add(rs.getObject(3) == null ? null : Double.toString(rs.getDouble(3)));
            row.add(rs.getObject(4) == null ? null : Float.toString(rs.getFloat(4)));
            row.add(rs.getString(5));
            row.add(rs.getString(6));
            row.add(String.valueOf(rs.getObject(7, LocalDateTime.class)));
            row.add(rs.getTimestamp(8) == null ? null : rs.getTimestamp(8).toInstant().toString());
            row.add(String.valueOf(rs.getObject(9, LocalDate.class)));
            row.add(String.valueOf(rs.getObject(10, LocalTime.class)));
            row.add(rs.getBytes(11) == null ? null : HexFormat.of().formatHex(rs.getBytes(11)));
            row.add(rs.getString(12));
            row.add(rs.getBytes(13) == null ? null : Integer.toString(Arrays.hashCode(rs.getBytes(13))) + "/" + rs.getBytes(13).length);
            row.add(rs.getObject(14) == null ? null : Boolean.toString(rs.getBoolean(14)));
            row.add(rs.getString(15) == null ? null : rs.getString(15).toLowerCase(Locale.ROOT));
            row.add(rs.getString(16) == null ? null : rs.getString(16).replaceAll("\\s", ""));
            row.add(rs.getString(17));
            row.add(rs.getString(18) == null ? null : rs.getString(18).stripTrailing()); // MariaDB strips CHAR padding on read
            out.add(String.join(" | ", row.stream().map(String::valueOf).toList()));
         }
      }
      return out;
   }

   /** The declared shape of the columns that carry a length, precision or fraction of seconds. */
   static List<String> shape(TestDb db) throws Exception
   {
      final List<String> out = new ArrayList<>();
      try (Connection c = db.connect()) {
         final Dialect d = Dialect.of(c);
         final DatabaseMetaData md = c.getMetaData();
         final String table = d == Dialect.H2 ? "T" : "t";
         try (ResultSet rs = d == Dialect.MARIADB ? md.getColumns(c.getCatalog(), null, table, null) : md.getColumns(null, c.getSchema(), table, null)) {
            while (rs.next()) {
               final String col = rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT);
               final int size = rs.getInt("COLUMN_SIZE");
               switch (col) {
                  case "n" -> out.add("n " + size + "," + rs.getInt("DECIMAL_DIGITS"));
                  case "v", "c" -> out.add(col + " " + size + (rs.getInt("NULLABLE") == DatabaseMetaData.columnNoNulls ? " not null" : ""));
                  // the fraction of seconds: DECIMAL_DIGITS, or MariaDB's display width minus the whole part
                  case "ts", "tm" -> out.add(col + " ." + (d == Dialect.MARIADB ? size - (col.equals("ts") ? 20 : 11) : rs.getInt("DECIMAL_DIGITS")));
                  default -> { }
               }
            }
         }
         try (ResultSet rs = d == Dialect.MARIADB ? md.getIndexInfo(c.getCatalog(), null, table, false, false) : md.getIndexInfo(null, c.getSchema(), table, false, false)) {
            while (rs.next()) {
               if (rs.getString("COLUMN_NAME") != null && rs.getString("COLUMN_NAME").equalsIgnoreCase("v")) {
                  out.add("index on v");
               }
            }
         }
      }
      out.sort(null);
      return out;
   }

   @ParameterizedTest(name = "{0} -> {1} through a directory")
   @CsvSource({"H2, POSTGRESQL", "POSTGRESQL, H2", "MARIADB, POSTGRESQL", "POSTGRESQL, MARIADB", "H2, MARIADB", "MARIADB, H2", "POSTGRESQL, POSTGRESQL"})
   void exportAndLoadKeepTypesAndValuesExactly(Kind from, Kind to, @TempDir Path dir) throws Exception
   {
      try (TestDb src = TestDatabases.create(from, "cp_src"); TestDb dst = TestDatabases.create(to, "cp_dst")) {
         fill(src);
         final List<CopyProgress.Progress> reports = new ArrayList<>();
         final TableCopy.Result exported;
         try (Connection c = src.connect(); Snapshot s = Snapshot.open(c)) {
            exported = TableCopy.export(s, List.of(new TableCopy.TableName(null, from == Kind.H2 ? "T" : "t")), dir, reports::add);
         }
         assertEquals(1200, exported.rows());
         assertEquals(-1, exported.position());
         assertTrue(Files.size(dir.resolve("0001.jsonl")) > BIG_TEXT.length(), "the export holds the data");
         assertEquals(exported.bytes(), Files.size(dir.resolve("0001.jsonl")), "bytes reported are the bytes written");
         final CopyProgress.Progress last = reports.get(reports.size() - 1);
         assertTrue(last.tableDone());
         assertEquals(1200, last.rows());

         // the target already has a table of that name with other content: the load replaces it
         dst.exec("CREATE TABLE t (id INT PRIMARY KEY, other VARCHAR(3))", "INSERT INTO t VALUES (999, 'old')");
         final TableCopy.Result loaded;
         try (Connection c = dst.connect()) {
            loaded = TableCopy.load(dir, c, null, CopyProgress.NONE);
            assertTrue(c.getAutoCommit(), "the connection's settings are restored");
         }
         assertEquals(1200, loaded.rows());
         assertEquals(values(src), values(dst));
         assertEquals(shape(src), shape(dst));
         assertEquals(List.of("c 5", "index on v", "n 20,6", "tm .6", "ts .6", "v 40 not null"), shape(dst));
      }
   }

   @ParameterizedTest(name = "{0} -> {1} directly")
   @CsvSource({"H2, POSTGRESQL", "MARIADB, MARIADB", "POSTGRESQL, MARIADB"})
   void directCopyKeepsTypesAndValuesExactly(Kind from, Kind to) throws Exception
   {
      try (TestDb src = TestDatabases.create(from, "dc_src"); TestDb dst = TestDatabases.create(to, "dc_dst")) {
         fill(src);
         final TableCopy.Result r;
         try (Connection c = src.connect(); Snapshot s = Snapshot.open(c); Connection t = dst.connect()) {
            r = TableCopy.copy(s, List.of(new TableCopy.TableName(null, from == Kind.H2 ? "T" : "t")), t, null, CopyProgress.NONE);
         }
         assertEquals(1200, r.rows());
         assertTrue(r.bytes() > BIG_TEXT.length() + BIG_BLOB.length);
         assertEquals(values(src), values(dst));
         assertEquals(List.of("c 5", "index on v", "n 20,6", "tm .6", "ts .6", "v 40 not null"), shape(dst));
      }
   }

   @Test
   void typesOnlyOneDatabaseHasAreCopiedExactlyBetweenTwoOfThatKind(@TempDir Path dir) throws Exception
   {
      try (TestDb pg = TestDatabases.create(Kind.POSTGRESQL, "cp_pgn"); TestDb pg2 = TestDatabases.create(Kind.POSTGRESQL, "cp_pgn2");
           TestDb ma = TestDatabases.create(Kind.MARIADB, "cp_man"); TestDb ma2 = TestDatabases.create(Kind.MARIADB, "cp_man2")) {
         pg.exec("CREATE TABLE n (id INT PRIMARY KEY, a INT[], iv INTERVAL, jb JSONB, num NUMERIC)",
                 "INSERT INTO n VALUES (1, '{1,2,NULL}', '1 day 02:03:04.5', '{\"k\": [1, {\"x\": 2}]}', 123456789012345678901234567890.123456789)");
         ma.exec("CREATE TABLE n (id INT PRIMARY KEY, e ENUM('red','green'), ub BIGINT UNSIGNED, mt MEDIUMTEXT, y YEAR)",
                 "INSERT INTO n VALUES (1, 'green', 18446744073709551615, 'medium', 2024)");
         for (TestDb[] pair : new TestDb[][] {{pg, pg2}, {ma, ma2}}) {
            final Path d = dir.resolve(pair[0].name);
            try (Connection c = pair[0].connect(); Snapshot s = Snapshot.open(c)) {
               TableCopy.export(s, List.of(new TableCopy.TableName(null, "n")), d, CopyProgress.NONE);
            }
            try (Connection c = pair[1].connect()) {
               TableCopy.load(d, c, null, CopyProgress.NONE);
            }
            assertEquals(pair[0].rows("n", "id"), pair[1].rows("n", "id"));
            assertEquals(columnTypes(pair[0]), columnTypes(pair[1]));
         }
         assertTrue(columnTypes(pg2).contains("_int4"), columnTypes(pg2).toString());
         assertTrue(columnTypes(ma2).contains("ENUM"), columnTypes(ma2).toString());
      }
   }

   private static List<String> columnTypes(TestDb db) throws Exception
   {
      final List<String> out = new ArrayList<>();
      try (Connection c = db.connect(); ResultSet rs = db.kind == Kind.MARIADB ? c.getMetaData().getColumns(c.getCatalog(), null, "n", null)
                                                                               : c.getMetaData().getColumns(null, c.getSchema(), "n", null)) {
         while (rs.next()) {
            out.add(rs.getString("TYPE_NAME"));
         }
      }
      return out;
   }

   @Test
   void anIncompleteExportOrAForeignDirectoryIsRefused(@TempDir Path dir) throws Exception
   {
      try (TestDb src = TestDatabases.create(Kind.H2, "cp_refuse"); TestDb dst = TestDatabases.create(Kind.H2, "cp_refuse_dst")) {
         src.exec("CREATE TABLE a (id INT PRIMARY KEY)", "INSERT INTO a VALUES (1)");
         final Path foreign = Files.createDirectories(dir.resolve("foreign"));
         Files.writeString(foreign.resolve("notes.txt"), "mine");
         try (Connection c = src.connect(); Snapshot s = Snapshot.open(c)) {
            final IOException e = assertThrows(IOException.class, () -> TableCopy.export(s, List.of(new TableCopy.TableName(null, "A")), foreign, CopyProgress.NONE));
            assertTrue(e.getMessage().contains("not empty"), e.getMessage());
            final Path ok = dir.resolve("ok");
            TableCopy.export(s, List.of(new TableCopy.TableName(null, "A")), ok, CopyProgress.NONE);
            TableCopy.export(s, List.of(new TableCopy.TableName(null, "A")), ok, CopyProgress.NONE); // an earlier export is replaced
            Files.delete(ok.resolve(TableCopy.MANIFEST));
            try (Connection t = dst.connect()) {
               final IOException missing = assertThrows(IOException.class, () -> TableCopy.load(ok, t, null, CopyProgress.NONE));
               assertTrue(missing.getMessage().contains("no complete ReplKit export"), missing.getMessage());
            }
         }
         assertEquals("mine", Files.readString(foreign.resolve("notes.txt")));
      }
   }
}
