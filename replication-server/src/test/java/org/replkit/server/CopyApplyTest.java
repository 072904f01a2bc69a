package org.replkit.server;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.verify.Verify;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A PostgreSQL replicate gets runs of inserts with COPY: every value must come out as the batch path would
 * write it, including text that looks like COPY's own syntax (tabs, newlines, backslashes, a literal
 * {@code \N}), non-ASCII text, bytea holding backslashes and zeros, special floating-point values and NULL
 * in every column. A short run goes as a batch, and a run that breaks a constraint suspends the connection
 * with nothing of its group applied.
 */
class CopyApplyTest
{
   private static final String[] TEXTS = {"plain", "tab\there", "new\nline", "cr\rlf\r\n", "back\\slash \\N \\\\", "\\N", "", "é ü 中文 😀",
                                          "quote ' \" ,;", "trailing\\"};

   private static String createTable(Kind k)
   {
      return switch (k) {
         case POSTGRESQL -> "CREATE TABLE cp (id INT PRIMARY KEY, t TEXT, v VARCHAR(40), n NUMERIC(20,6), d DOUBLE PRECISION, b BOOLEAN,"
                            + " ts TIMESTAMP(6), dt DATE, tm TIME(6), bin BYTEA, j JSONB, u UUID, tz TIMESTAMPTZ)";
         case MARIADB -> "CREATE TABLE cp (id INT PRIMARY KEY, t LONGTEXT, v VARCHAR(40), n DECIMAL(20,6), d DOUBLE, b BOOLEAN,"
                         + " ts DATETIME(6), dt DATE, tm TIME(6), bin VARBINARY(40)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
         case H2 -> "CREATE TABLE cp (id INT PRIMARY KEY, t CHARACTER LARGE OBJECT, v VARCHAR(40), n NUMERIC(20,6), d DOUBLE PRECISION, b BOOLEAN,"
                    + " ts TIMESTAMP(6), dt DATE, tm TIME(6), bin VARBINARY(40))";
      };
   }

   @ParameterizedTest(name = "{0} -> POSTGRESQL")
   @EnumSource(Kind.class)
   void everyValueSurvivesCopy(Kind from, @TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(from, "cpy_p"); TestDb replicate = TestDatabases.create(Kind.POSTGRESQL, "cpy_r")) {
         final String url = primary.replkitUrl("replkit.site=S1");
         try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(createTable(from));
         }
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)))) {
            server.start();
            final String conn = Harness.connection(replicate);
            Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server); // the table exists at the replicate
            assertTrue(server.admin("suspend connection to " + conn).contains("is suspended"));
            final boolean pg = from == Kind.POSTGRESQL;
            try (Connection c = DriverManager.getConnection(url)) {
               c.setAutoCommit(false);
               insert(c, pg, 1, 60); // one run of 60 inserts: COPY
               c.commit();
               try (Statement st = c.createStatement()) {
                  st.executeUpdate("UPDATE cp SET v = 'first' WHERE id = 1"); // ends the run (the group spans both transactions)
               }
               insert(c, pg, 100, 3); // a run of 3: a batch
               try (Statement st = c.createStatement()) {
                  st.executeUpdate("UPDATE cp SET v = 'updated' WHERE id = 100");
               }
               c.commit();
            }
            final long copiedBefore = server.dsi(conn).copiedRows();
            assertTrue(server.admin("resume connection to " + conn).contains("is resumed"));
            Harness.awaitCaughtUp(primary, "S1", replicate, 60_000, server);
            assertEquals(60, server.dsi(conn).copiedRows() - copiedBefore, "the run of 60 went with COPY, the run of 3 as a batch");
            final Verify.Result r = Harness.verify(primary, replicate, 16, "cp");
            assertTrue(r.identical(), String.join("\n", r.report()));
            assertEquals(63, Harness.count(replicate, "SELECT COUNT(*) FROM cp"));
            final long literalN = java.util.stream.IntStream.concat(java.util.stream.IntStream.rangeClosed(1, 60), java.util.stream.IntStream.rangeClosed(100, 102))
               .filter(i -> i % 11 != 0 && TEXTS[(i + 3) % TEXTS.length].equals("\\N")).count();
            assertTrue(literalN > 0);
            assertEquals(literalN, Harness.count(replicate, "SELECT COUNT(*) FROM cp WHERE v = '\\N'"), "a literal \\N stays text");
            assertEquals(1, Harness.count(replicate, "SELECT COUNT(*) FROM cp WHERE id = 100 AND v = 'updated'"), "the update after the batch");
            assertEquals(1, Harness.count(replicate, "SELECT COUNT(*) FROM cp WHERE id = 1 AND v = 'first'"), "the update after the COPY");

            // a run that breaks the replicate's key: the group fails as a whole and the connection suspends on it
            try (Connection r2 = replicate.connect(); Statement st = r2.createStatement()) {
               st.execute("SET replkit.apply = on");
               st.executeUpdate("INSERT INTO cp (id, v) VALUES (1020, 'only here')");
            }
            try (Connection c = DriverManager.getConnection(url)) {
               c.setAutoCommit(false);
               insert(c, pg, 1001, 30);
               c.commit();
            }
            final long until = System.currentTimeMillis() + 30_000;
            while (server.dsi(conn).state() != Dsi.State.SUSPENDED_ON_ERROR && System.currentTimeMillis() < until) {
               Thread.sleep(50);
            }
            assertEquals(Dsi.State.SUSPENDED_ON_ERROR, server.dsi(conn).state());
            final String error = server.control().connection(conn).error();
            assertTrue(error.toLowerCase(java.util.Locale.ROOT).contains("insert of cp failed at the replicate") && error.contains("(id)=(1020) already exists"), error);
            assertEquals(0, Harness.count(replicate, "SELECT COUNT(*) FROM cp WHERE id > 1000 AND id <> 1020"), "nothing of the failed run applied");
         }
      }
   }

   private static void insert(Connection c, boolean pg, int first, int n) throws Exception
   {
      final String cols = "id, t, v, n, d, b, ts, dt, tm, bin" + (pg ? ", j, u, tz" : "");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO cp (" + cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?" + (pg ? ", ?::jsonb, ?, ?" : "") + ")")) {
         for (int i = first; i < first + n; i++) {
            final boolean nulls = i % 11 == 0;
            ps.setInt(1, i);
            setOrNull(ps, 2, nulls ? null : TEXTS[i % TEXTS.length] + " " + i, Types.VARCHAR);
            setOrNull(ps, 3, nulls ? null : TEXTS[(i + 3) % TEXTS.length], Types.VARCHAR);
            setOrNull(ps, 4, nulls ? null : new BigDecimal(i % 2 == 0 ? "-12345678901234.000001" : i + ".50"), Types.NUMERIC);
            final double[] doubles = pg ? new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e300, 4.9e-324, 1 / 3.0}
                                        : new double[] {1e300, 2.2250738585072014E-308, 1 / 3.0, -7.25};
            setOrNull(ps, 5, nulls ? null : doubles[i % doubles.length], Types.DOUBLE);
            setOrNull(ps, 6, nulls ? null : i % 2 == 0, Types.BOOLEAN);
            setOrNull(ps, 7, nulls ? null : LocalDateTime.of(2024, 2, 29, 23, 59, 59, 123456000 + i * 1000), Types.TIMESTAMP);
            setOrNull(ps, 8, nulls ? null : LocalDate.of(1970 + i % 50, 1 + i % 12, 1 + i % 28), Types.DATE);
            setOrNull(ps, 9, nulls ? null : LocalTime.of(i % 24, 30, 15, 250000000), Types.TIME);
            setOrNull(ps, 10, nulls ? null : i % 5 == 0 ? new byte[0] : new byte[] {0, '\\', (byte) 0xff, '\t', '\n', (byte) i}, Types.VARBINARY);
            if (pg) {
               setOrNull(ps, 11, nulls ? null : "{\"k\": \"a\\\\b\\t\\u00e9\", \"n\": " + i + ", \"a\": [1, null]}", Types.VARCHAR);
               setOrNull(ps, 12, nulls ? null : java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i}), Types.OTHER);
               setOrNull(ps, 13, nulls ? null : java.time.OffsetDateTime.of(2024, 6, 1, 10, 0, 0, 0, java.time.ZoneOffset.ofHours(i % 5)), Types.TIMESTAMP_WITH_TIMEZONE);
            }
            ps.addBatch();
         }
         ps.executeBatch();
      }
   }

   private static void setOrNull(PreparedStatement ps, int i, Object v, int type) throws Exception
   {
      if (v == null) {
         ps.setNull(i, type);
      }
      else {
         ps.setObject(i, v);
      }
   }
}
