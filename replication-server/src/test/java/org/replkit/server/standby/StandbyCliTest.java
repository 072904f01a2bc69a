package org.replkit.server.standby;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.server.Main;
import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;
import org.replkit.server.standby.StandbyPair.State;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.*;

/** The standby: section of replkit.yaml, and the hotstandby commands through 'replkit admin' and 'replkit watchdog'. */
class StandbyCliTest
{
   record Run(int rc, String out, String err)
   {
   }

   static synchronized Run cli(String... args)
   {
      final PrintStream out = System.out;
      final PrintStream err = System.err;
      final ByteArrayOutputStream o = new ByteArrayOutputStream();
      final ByteArrayOutputStream e = new ByteArrayOutputStream();
      System.setOut(new PrintStream(o, true));
      System.setErr(new PrintStream(e, true));
      try {
         return new Run(Main.run(args), o.toString(), e.toString());
      }
      finally {
         System.setOut(out);
         System.setErr(err);
      }
   }

   private static String configError(Path dir, String yaml) throws Exception
   {
      final Path f = dir.resolve("bad.yaml");
      Files.writeString(f, yaml);
      return assertThrows(ServerConfig.ConfigException.class, () -> ServerConfig.load(f)).getMessage();
   }

   @Test
   void theStandbySectionIsCheckedKeyByKey(@TempDir Path dir) throws Exception
   {
      final String sec = "  secondary: {url: 'jdbc:h2:mem:b'}\n";
      assertEquals("standby: 'primary' is required: a site name, or the primary database (url, user, password)", configError(dir, "standby:\n" + sec));
      assertTrue(configError(dir, "standby:\n  primary: NOPE\n" + sec).startsWith("standby.primary: unknown site 'NOPE'; the sites are []"));
      assertEquals("standby: 'secondary' is required: the secondary database (url, user, password)",
                   configError(dir, "standby:\n  primary: {url: 'jdbc:h2:mem:a'}\n"));
      assertTrue(configError(dir, "standby:\n  primary: {url: 'jdbc:h2:mem:a'}\n  secondary: {url: 'jdbc:h2:mem:a'}\n").contains("is the primary's database"));
      assertTrue(configError(dir, "standby:\n  primary: {url: 'jdbc:h2:mem:a'}\n" + sec + "  maxLogSize: 12 apples\n")
                    .startsWith("standby.maxLogSize: expected a size such as 256MB"));
      assertTrue(configError(dir, "standby:\n  primary: {url: 'jdbc:h2:mem:a'}\n" + sec + "  retention: 5\n").startsWith("unknown configuration key 'standby.retention'"));

      final Path ok = dir.resolve("ok.yaml");
      Files.writeString(ok, "sites:\n  - {name: ORDERS, url: 'jdbc:h2:mem:a'}\nstandby:\n  primary: ORDERS\n" + sec + "  maxLogSize: 64MB\n");
      final ServerConfig.Standby s = ServerConfig.load(ok).standby();
      assertEquals("hsb", s.name());
      assertEquals("ORDERS", s.site());
      assertEquals("jdbc:h2:mem:a", s.primary().url());
      assertEquals(64L << 20, s.maxLogBytes());
      assertEquals(1_000_000, s.maxLogTransactions());
      assertEquals(dir.resolve("replkit-data/hsb-copy").toAbsolutePath(), s.copyDirectory().toAbsolutePath());
   }

   @Test
   void adminAndTheWatchdogDriveThePairThroughTheControlDatabase(@TempDir Path dir) throws Exception
   {
      try (TestDb p = TestDatabases.create(Kind.H2, "cli_p"); TestDb s = TestDatabases.create(Kind.H2, "cli_s")) {
         try (Connection c = DriverManager.getConnection(p.replkitUrl("replkit.site=S1")); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE item (id INT PRIMARY KEY, note VARCHAR(20))");
            st.execute("INSERT INTO item VALUES (1, 'one'), (2, 'two')");
         }
         final Path yaml = dir.resolve("replkit.yaml");
         Files.writeString(yaml, "standby:\n  primary: {url: '" + p.url() + "'}\n  secondary: {url: '" + s.url() + "'}\n  commandWaitSeconds: 60\n");
         try (ReplicationServer server = new ReplicationServer(ServerConfig.load(yaml))) {
            server.start();
            Run r = cli("admin", "--config", yaml.toString(), "hotstandby state");
            assertEquals(0, r.rc(), r.out() + r.err());
            assertEquals("STANDALONE", r.out().lines().findFirst().orElseThrow(), r.out());
            r = cli("admin", "--config", yaml.toString(), "ADMIN COMMAND 'hotstandby connect'");
            assertEquals(2, r.rc(), "a refused command exits 2: " + r.out());
            assertTrue(r.out().startsWith("error: hotstandby connect: the pair is STANDALONE") && r.out().contains(Standby.NEEDS_COPY), r.out());

            r = cli("watchdog", "--once", "--config", yaml.toString());
            assertEquals(0, r.rc(), r.out() + r.err());
            assertEquals(State.PRIMARY_ACTIVE, server.standby().pair().state(), "the watchdog copied and connected the new secondary");
            assertEquals(p.rows("item", "id"), s.rows("item", "id"));

            r = cli("admin", "--config", yaml.toString(), "hotstandby", "disconnect");
            assertEquals(0, r.rc(), r.out() + r.err());
            assertTrue(r.out().startsWith("The pair is PRIMARY ALONE / SECONDARY ALONE"), r.out());
         }
         final Path noStandby = dir.resolve("none.yaml");
         Files.writeString(noStandby, "sites:\n  - {name: S1, url: '" + p.url() + "'}\n");
         final Run r = cli("watchdog", "--once", "--config", noStandby.toString());
         assertEquals(2, r.rc());
         assertTrue(r.err().contains("has no standby: section"), r.err());
      }
   }
}
