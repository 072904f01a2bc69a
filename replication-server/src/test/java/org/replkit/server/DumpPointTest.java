package org.replkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.changelog.DumpPoint;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.*;

/** The dump point read from real dumps of each database, and a dump that caught a commit half-way refused. */
class DumpPointTest
{
   @Test
   void mariadbDumpWithTheChangeLogDatabase(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.MARIADB, "dp_m")) {
         writes(primary, 7);
         final Path with = dir.resolve("with.sql");
         final Path without = dir.resolve("without.sql");
         dump(with, "mariadb-dump", "-h", "127.0.0.1", "-u", "root", "--single-transaction", "--databases", primary.name, "replkit_" + primary.name);
         dump(without, "mariadb-dump", "-h", "127.0.0.1", "-u", "root", "--single-transaction", primary.name);
         assertEquals(Harness.position(primary), DumpPoint.ofFile(with));
         final IOException e = assertThrows(IOException.class, () -> DumpPoint.ofFile(without));
         assertTrue(e.getMessage().contains("mariadb-dump --databases db replkit_db"), e.getMessage());
      }
   }

   @Test
   void h2ScriptAndTheCommandLine(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "dp_h")) {
         writes(primary, 4);
         final Path script = dir.resolve("h2.sql");
         primary.exec("SCRIPT TO '" + script + "'");
         final long position = Harness.position(primary);
         assertTrue(position >= 5, "table creation and four inserts: " + position);
         assertEquals(position, DumpPoint.ofFile(script));
         assertEquals(0, Main.run("dump-point", "--file", script.toString()));
         assertEquals(0, Main.run("dump-point", "--url", primary.url()));
         assertEquals(2, Main.run("dump-point", "--file", dir.resolve("missing.sql").toString()));
      }
   }

   @Test
   void aGapInTheDumpedCommitsIsRefused() throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.POSTGRESQL, "dp_g")) {
         writes(primary, 6);
         final long position = Harness.position(primary);
         try (Connection c = primary.connect()) {
            assertEquals(position, DumpPoint.of(c));
            try (Statement st = c.createStatement()) {
               // what a dump shows when the transaction numbered position-1 was still committing
               st.executeUpdate("DELETE FROM replkit.rk_commit WHERE seq = " + (position - 1));
            }
            final SQLException e = assertThrows(SQLException.class, () -> DumpPoint.of(c));
            assertTrue(e.getMessage().contains("but not " + (position - 1)) && e.getMessage().contains("Take the dump again"), e.getMessage());
         }
      }
   }

   @Test
   void aDatabaseWithoutChangeLogIsNotADumpOfAPrimary() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "dp_n"); Connection c = db.connect()) {
         final SQLException e = assertThrows(SQLException.class, () -> DumpPoint.of(c));
         assertTrue(e.getMessage().contains("holds no ReplKit change log"), e.getMessage());
      }
   }

   private static void writes(TestDb primary, int n) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1")); Statement st = c.createStatement()) {
         st.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)");
         for (int i = 0; i < n; i++) {
            st.executeUpdate("INSERT INTO t VALUES (" + i + ", " + i + ")");
         }
      }
   }

   private static void dump(Path to, String... command) throws Exception
   {
      final Process p = new ProcessBuilder(command).redirectOutput(to.toFile()).redirectError(ProcessBuilder.Redirect.PIPE).start();
      final String err = new String(p.getErrorStream().readAllBytes());
      assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + err);
   }
}
