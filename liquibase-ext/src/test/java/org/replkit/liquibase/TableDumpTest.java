package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.verify.Verify;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/** The export and import of offlineInstantiation and resyncFromDump: exact across databases, all or nothing, never captured. */
class TableDumpTest
{
   @TempDir
   Path dir;

   private static final String H2_ITEM = "CREATE TABLE item (id INT PRIMARY KEY, qty BIGINT, price DECIMAL(10,3), ratio DOUBLE PRECISION, score REAL,"
                                         + " active BOOLEAN, name VARCHAR(100), note CLOB, data VARBINARY(100), dt DATE, ts TIMESTAMP(6),"
                                         + " ts_tz TIMESTAMP(6) WITH TIME ZONE, tm TIME, uid UUID)";
   private static final String PG_ITEM = "CREATE TABLE item (id INT PRIMARY KEY, qty BIGINT, price NUMERIC(10,3), ratio DOUBLE PRECISION, score REAL,"
                                         + " active BOOLEAN, name VARCHAR(100), note TEXT, data BYTEA, dt DATE, ts TIMESTAMP(6),"
                                         + " ts_tz TIMESTAMPTZ(6), tm TIME, uid UUID)";

   /** A primary written through the ReplKit driver: it has a change log, so the dump has a position. */
   private static void fill(TestDb primary) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=P")); Statement st = c.createStatement()) {
         st.execute(H2_ITEM);
         st.execute("CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(50))");
         c.setAutoCommit(false);
         st.executeUpdate("INSERT INTO item VALUES (1, 9007199254740993, 12345.678, 0.1, 1.5, TRUE, 'it''s \"quoted\"', 'line1\nline2 \u00e9\u20ac',"
                          + " X'00ff10', DATE '2024-02-29', TIMESTAMP '2024-03-01 12:34:56.123456', TIMESTAMP WITH TIME ZONE '2024-03-01 12:34:56.5+02:00',"
                          + " TIME '23:59:58', '123e4567-e89b-12d3-a456-426614174000')");
         st.executeUpdate("INSERT INTO item (id) VALUES (2)"); // every other column NULL
         st.executeUpdate("INSERT INTO customer VALUES (1, 'Ann'), (2, 'Bob')");
         c.commit();
      }
   }

   @Test
   void h2DumpLoadsIntoPostgresqlIdentically() throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "dumpsrc"); TestDb pg = TestDatabases.create(Kind.POSTGRESQL, "dumptgt")) {
         fill(primary);
         pg.exec(PG_ITEM, "CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(50))", "INSERT INTO customer VALUES (99, 'stale')");
         final TableDump.Result exported;
         try (Connection c = Jdbc.open(Jdbc.real(primary.replkitUrl()), "the primary")) {
            exported = TableDump.export(c, List.of(), dir);
         }
         assertEquals(List.of("CUSTOMER", "ITEM"), exported.tables());
         assertEquals(4, exported.rows());
         assertNotNull(exported.position(), "the primary has a change log");
         try (Connection t = Jdbc.openApplying(pg.url(), "the replicate")) {
            final TableDump.Result loaded = TableDump.load(dir, t);
            assertEquals(List.of("customer", "item"), loaded.tables());
            assertEquals(exported.position(), loaded.position());
         }
         try (Connection s = primary.connect(); Connection t = pg.connect()) {
            final Verify.Result r = new Verify(s, t, 1000).run(List.of());
            assertTrue(r.identical(), String.join("\n", r.report()));
         }
         assertEquals(List.of("1 | Ann", "2 | Bob"), pg.rows("customer", "id"), "the stale row is replaced");
      }
   }

   @Test
   void aFailingLoadChangesNothing() throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "dumpsrc"); TestDb pg = TestDatabases.create(Kind.POSTGRESQL, "dumptgt")) {
         fill(primary);
         // 'Ann' fits, then item's name does not: the customer rows already replaced must come back
         pg.exec(PG_ITEM.replace("name VARCHAR(100)", "name VARCHAR(3)"), "CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(50))",
                 "INSERT INTO customer VALUES (99, 'stale')", "INSERT INTO item (id, name) VALUES (7, 'old')");
         try (Connection c = Jdbc.open(Jdbc.real(primary.replkitUrl()), "the primary")) {
            TableDump.export(c, List.of("customer", "item"), dir);
         }
         try (Connection t = Jdbc.openApplying(pg.url(), "the replicate")) {
            assertThrows(SQLException.class, () -> TableDump.load(dir, t));
         }
         assertEquals(List.of("99 | stale"), pg.rows("customer", "id"));
         assertEquals(List.of("7"), pg.rows("item", "id").stream().map(r -> r.substring(0, r.indexOf(' '))).toList());
      }
   }

   /** A new site that is itself a ReplKit primary: the load must neither be refused by its triggers nor captured. */
   @Test
   void loadIntoAReplKitDatabaseIsNotCaptured() throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "dumpsrc"); TestDb site = TestDatabases.create(Kind.H2, "dumpsite")) {
         fill(primary);
         try (Connection c = DriverManager.getConnection(site.replkitUrl("replkit.site=NEW")); Statement st = c.createStatement()) {
            st.execute(H2_ITEM);
            st.execute("CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(50))");
         }
         final long before = changes(site);
         try (Connection c = Jdbc.open(Jdbc.real(primary.replkitUrl()), "the primary")) {
            TableDump.export(c, List.of(), dir);
         }
         try (Connection plain = site.connect()) {
            final SQLException refused = assertThrows(SQLException.class, () -> TableDump.load(dir, plain));
            assertTrue(Lb.messages(refused).contains("is replicated by ReplKit"), Lb.messages(refused));
         }
         assertEquals(List.of(), site.rows("customer", "id"), "the refused load left nothing");
         try (Connection t = Jdbc.openApplying(site.replkitUrl("replkit.site=NEW"), "the new site")) {
            TableDump.load(dir, t);
         }
         assertEquals(List.of("1 | Ann", "2 | Bob"), site.rows("customer", "id"));
         assertEquals(before, changes(site), "nothing of the load is in the new site's change log");
      }
   }

   private static long changes(TestDb db) throws SQLException
   {
      try (Connection c = db.connect()) {
         final Dialect d = Dialect.of(c);
         final List<CommittedTransaction> txs = new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), "x").read(c, 0, 10_000);
         return txs.stream().mapToLong(tx -> tx.changes().size()).sum();
      }
   }

   @Test
   void anUnfinishedExportIsNotLoaded() throws Exception
   {
      Files.writeString(dir.resolve("table-000.jsonl"), "{\"ID\":1}\n");
      try (TestDb db = TestDatabases.create(Kind.H2, "dumptgt"); Connection c = db.connect()) {
         final IOException e = assertThrows(IOException.class, () -> TableDump.load(dir, c));
         assertEquals("no dump in " + dir + ": replkit-dump.properties is missing (the export did not finish)", e.getMessage());
      }
   }
}
