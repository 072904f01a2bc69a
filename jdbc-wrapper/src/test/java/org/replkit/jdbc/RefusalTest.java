package org.replkit.jdbc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Dialect;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** What capture refuses, and the settings that change it: keys, exclusions, a settings file. */
class RefusalTest
{
   private static List<CommittedTransaction> log(Connection c) throws SQLException
   {
      final Dialect d = Dialect.of(c);
      return new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), "t").read(c, 0, 1000);
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void tableWithoutKeyIsRefusedUnlessKeyedOrExcluded(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "nokey"); TestDb rep = TestDatabases.create(kind, "nokey_rep")) {
         for (TestDb d : List.of(db, rep)) {
            d.exec("CREATE TABLE nopk (code VARCHAR(10) NOT NULL, v INT)", "CREATE TABLE keyed (code VARCHAR(10) NOT NULL, v INT)",
                   "CREATE TABLE scratch (v INT)");
         }
         try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
            final SQLException e = assertThrows(SQLException.class, () -> st.executeUpdate("INSERT INTO nopk VALUES ('a', 1)"));
            assertTrue(e.getMessage().contains("no primary key") && e.getMessage().toLowerCase().contains("nopk"), e.getMessage());
         }
         assertEquals(List.of(), db.rows("nopk", "code"), "nothing half-applied");

         // a configured unique key, and an exclusion (wildcard), both from a properties file in a new process-level database entry
         final Path settings = Files.createTempFile("replkit", ".properties");
         Files.writeString(settings, "replkit.site=S1\nreplkit.keys=keyed(code)\nreplkit.exclude=scr*\n");
         final TestDb db2 = db;
         db2.exec(kind == Kind.MARIADB ? "ALTER TABLE keyed ADD UNIQUE (code)" : "ALTER TABLE keyed ADD CONSTRAINT uq UNIQUE (code)");
         rep.exec(kind == Kind.MARIADB ? "ALTER TABLE keyed ADD UNIQUE (code)" : "ALTER TABLE keyed ADD CONSTRAINT uq UNIQUE (code)");
         final String url = db.replkitUrl("replkit.config=" + settings, "replkit.logSchema=" + (kind == Kind.MARIADB ? "replkit_k_" + db.name : "replkit_k"));
         try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO keyed VALUES ('a', 1), ('b', 2)");
            st.executeUpdate("UPDATE keyed SET v = 20 WHERE code = 'b'");
            st.executeUpdate("INSERT INTO scratch VALUES (1)");
            st.execute("CREATE TABLE scratch_more (v INT)"); // excluded tables' DDL is not recorded either (Liquibase's own tables)
            st.execute("ALTER TABLE scratch_more ADD COLUMN w INT");
            st.execute("DROP TABLE scratch_more");
            // a statement reaching past the excluded table it names first is recorded: skipping it could lose keyed's change
            st.execute("CREATE TABLE scratch_two (v INT)");
            st.execute("CREATE TABLE other_two (v INT)");
            st.execute("DROP TABLE scratch_two, other_two");
         }
         db.exec("INSERT INTO scratch VALUES (2)"); // excluded: writable without ReplKit
         try (Connection p = db.connect()) {
            final Dialect d = Dialect.of(p);
            final var reader = new ChangeLogReader(new ChangeLogSchema(d, kind == Kind.MARIADB ? "replkit_k_" + db.name : "replkit_k"), "S1");
            final List<CommittedTransaction> txs = reader.read(p, 0, 100);
            assertEquals(4, txs.size(), "scratch is not captured, nor the DDL of scratch_more and scratch_two; other_two's and the"
                                        + " two-table DROP are: " + txs);
            assertTrue(txs.get(3).changes().get(0).stmt().contains("DROP TABLE scratch_two, other_two"), txs.get(3).toString());
            assertEquals("S1", txs.get(0).oqid().site());
            assertEquals(List.of("code"), reader.table(p, txs.get(0).changes().get(0).schema(), txs.get(0).changes().get(0).table()).key().stream().map(String::toLowerCase).toList());
         }
         if (kind == Kind.MARIADB) {
            db.exec("DROP DATABASE IF EXISTS replkit_k_" + db.name);
         }
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void writesBehindTheDriversBackAreRefusedAndApplySessionsAreNotCaptured(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "foreign")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         try (Connection c = DriverManager.getConnection(db.replkitUrl())) {
            c.createStatement().executeUpdate("INSERT INTO acct VALUES (1, 1)");
         }
         final SQLException e = assertThrows(SQLException.class, () -> db.exec("UPDATE acct SET v = 2"));
         assertTrue(e.getMessage().contains("replicated by ReplKit"), e.getMessage());
         try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(Dialect.of(c).applySessionStatement());
            st.executeUpdate("UPDATE acct SET v = 3");
            assertEquals(1, log(c).size(), "an apply session's write is not captured");
         }
         assertEquals(List.of("1 | 3"), db.rows("acct", "id"));
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void truncateIsRecordedAndReplayed(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "trunc"); TestDb rep = TestDatabases.create(kind, "trunc_rep")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         rep.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO acct VALUES (1, 1), (2, 2)");
            st.execute("TRUNCATE TABLE acct");
            st.executeUpdate("INSERT INTO acct VALUES (3, 3)");
         }
         try (Connection p = db.connect(); Connection r = rep.connect(); Replay replay = new Replay(p, r)) {
            assertEquals(3, replay.drain());
         }
         assertEquals(List.of("3 | 3"), rep.rows("acct", "id"));
      }
   }

   @Test
   void transactionControlAsTextAndUnparsableDmlAreRefusedNamingTheStatement() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "text")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
            final SQLException begin = assertThrows(SQLException.class, () -> st.execute("BEGIN TRANSACTION"));
            assertTrue(begin.getMessage().contains("setAutoCommit(false)") && begin.getMessage().contains("BEGIN TRANSACTION"), begin.getMessage());
            final SQLException bad = assertThrows(SQLException.class, () -> st.executeUpdate("UPDATE ??? SET v = 1"));
            assertTrue(bad.getMessage().contains("cannot parse") && bad.getMessage().contains("UPDATE ??? SET v = 1"), bad.getMessage());
            c.setAutoCommit(false);
            st.executeUpdate("INSERT INTO acct VALUES (1, 1)");
            st.execute("COMMIT"); // COMMIT as text still gets its commit record
            c.setAutoCommit(true);
         }
         try (Connection c = db.connect()) {
            assertEquals(1, log(c).size());
         }
      }
   }

   @Test
   void unknownSettingIsANamedError(@TempDir Path dir) throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "setting")) {
         final SQLException e = assertThrows(SQLException.class, () -> DriverManager.getConnection(db.replkitUrl("replkit.sitee=x")));
         assertTrue(e.getMessage().contains("replkit.sitee"), e.getMessage());
         final SQLException f = assertThrows(SQLException.class, () -> DriverManager.getConnection(db.replkitUrl("replkit.config=" + dir.resolve("missing.properties"))));
         assertTrue(f.getMessage().contains("missing.properties"), f.getMessage());
      }
   }
}
