package org.replkit.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent in a JVM of its own, around {@link org.replkit.agent.sample.SampleApp}, which has no ReplKit on
 * its class path: its transactions must reach the change log and the replication server must replicate them. The
 * sample opens four connections per database, one per unit of work.
 */
class AgentIT
{
   private static final String SAMPLE = "org.replkit.agent.sample.SampleApp";
   private static final String TABLE = "CREATE TABLE shop_order (id INT PRIMARY KEY, item VARCHAR(40), qty INT)";

   @TempDir
   Path dir;

   @Test
   void plainJdbcOnH2PostgresAndMariaDbIsCapturedAndReplicates() throws Exception
   {
      try (TestDb pg = TestDatabases.create(Kind.POSTGRESQL, "agentpri"); TestDb mdb = TestDatabases.create(Kind.MARIADB, "agentpri")) {
         final String h2 = h2File("plain");
         final Path rules = rules("replkit.agent.rule.1.url=jdbc:h2:file:*",
                                  "replkit.agent.rule.1.site=h2shop",
                                  "replkit.agent.rule.2.url=jdbc:postgresql://*/rk_agentpri_*",
                                  "replkit.agent.rule.2.site=pgshop",
                                  "replkit.agent.rule.3.url=jdbc:mariadb://*/rk_agentpri_*",
                                  "replkit.agent.rule.3.site=mdbshop");
         pg.exec(TABLE);
         mdb.exec(TABLE);
         final ChildJvm.Result r = ChildJvm.run(true, rules, SAMPLE, "plain", "orders", h2, pg.url(), mdb.url());
         assertEquals(0, r.exit(), r.output());
         assertCapturedOnce(r, 12);
         assertEquals(4, r.count("unwrap: org.mariadb.jdbc.Connection"), r.output());
         assertReplicates(h2, "h2shop", Kind.H2);
         assertReplicates(pg.url(), "pgshop", Kind.POSTGRESQL);
         assertReplicates(mdb.url(), "mdbshop", Kind.MARIADB);
      }
   }

   /**
   * HikariCP over H2's DataSource (captured by the dataSource rule) and over the PostgreSQL driver (captured
   * by the URL rule); the catch-all dataSource rule also matches HikariDataSource itself, whose connections
   * already hold a ReplKit connection and must not be wrapped again.
   */
   @Test
   void hikariOnH2AndPostgresIsCapturedOnceAndReplicates() throws Exception
   {
      try (TestDb pg = TestDatabases.create(Kind.POSTGRESQL, "agentpri")) {
         final String h2 = h2File("hikari");
         final Path rules = rules("replkit.agent.rule.1.url=jdbc:postgresql://*/rk_agentpri_*",
                                  "replkit.agent.rule.1.site=pgshop",
                                  "replkit.agent.rule.2.dataSource=*",
                                  "replkit.agent.rule.2.site=h2shop");
         pg.exec(TABLE);
         final ChildJvm.Result r = ChildJvm.run(true, rules, SAMPLE, "hikari", "orders", h2, pg.url());
         assertEquals(0, r.exit(), r.output());
         assertEquals(8, r.count("connection: HikariProxyConnection"), r.output());
         assertCapturedOnce(r, 8);
         assertReplicates(h2, "h2shop", Kind.H2);
         assertReplicates(pg.url(), "pgshop", Kind.POSTGRESQL);
      }
   }

   /**
    * Vendor DataSources selected by class name only. PGSimpleDataSource inherits getConnection from
    * BaseDataSource, which is not a DataSource itself, and goes through a driver no rule matches.
    */
   @Test
   void vendorDataSourcesAreCapturedByClassName() throws Exception
   {
      try (TestDb pg = TestDatabases.create(Kind.POSTGRESQL, "agentpri")) {
         final String h2 = h2File("datasource");
         final Path rules = rules("replkit.agent.rule.1.dataSource=org.h2.jdbcx.JdbcDataSource",
                                  "replkit.agent.rule.1.site=h2shop",
                                  "replkit.agent.rule.2.dataSource=org.postgresql.ds.*",
                                  "replkit.agent.rule.2.site=pgshop");
         pg.exec(TABLE);
         final ChildJvm.Result r = ChildJvm.run(true, rules, SAMPLE, "datasource", "orders", h2, pg.url());
         assertEquals(0, r.exit(), r.output());
         assertCapturedOnce(r, 8);
         assertReplicates(h2, "h2shop", Kind.H2);
         assertReplicates(pg.url(), "pgshop", Kind.POSTGRESQL);
      }
   }

   /**
    * A driver whose class loader sees only its own jar, as in a container: the inlined advice reaches the
    * agent through the bootstrap bridge alone.
    */
   @Test
   void aDriverInAnIsolatedClassLoaderIsCaptured() throws Exception
   {
      try (TestDb pg = TestDatabases.create(Kind.POSTGRESQL, "agentpri")) {
         final Path rules = rules("replkit.agent.rule.1.url=jdbc:postgresql://*/rk_agentpri_*", "replkit.agent.rule.1.site=pgshop");
         pg.exec(TABLE);
         final ChildJvm.Result r = ChildJvm.run(true, rules, SAMPLE, "isolated", "orders", pg.url());
         assertEquals(0, r.exit(), r.output());
         assertEquals(4, r.count("connection: ReplKit:org.postgresql.jdbc.PgConnection"), r.output());
         assertEquals(4, r.count("unwrap: org.postgresql.jdbc.PgConnection"), r.output());
         assertFalse(r.output().contains("SEVERE"), r.output());
         assertReplicates(pg.url(), "pgshop", Kind.POSTGRESQL);
      }
   }

   /**
    * An application that already uses jdbc:replkit: URLs (ReplKit on its class path) and gets the agent
    * too: the agent's rule wraps the real driver's connection, and the driver must not wrap it again.
    */
   @Test
   void aReplKitUrlUnderTheAgentIsCapturedOnce() throws Exception
   {
      final String h2 = h2File("both");
      final Path rules = rules("replkit.agent.rule.1.url=jdbc:h2:file:*", "replkit.agent.rule.1.site=h2shop");
      final ChildJvm.Result r = ChildJvm.run(true, rules, true, SAMPLE, "plain", "orders", "jdbc:replkit:" + h2.substring("jdbc:".length()));
      assertEquals(0, r.exit(), r.output());
      assertEquals(4, r.count("connection: ReplKit:conn"), r.output());
      assertEquals(0, r.count("ReplKit:ReplKit:"), "never wrapped twice: " + r.output());
      assertFalse(r.output().contains("SEVERE"), r.output());
      assertReplicates(h2, "h2shop", Kind.H2);
   }

   /** A change log newer than this ReplKit: capture cannot be set up, the application still reads, and its writes are refused. */
   @Test
   void failedCaptureSetupKeepsReadsAndRefusesWrites() throws Exception
   {
      final String h2 = h2File("broken");
      try (Connection c = DriverManager.getConnection(h2); Statement st = c.createStatement()) {
         st.execute("INSERT INTO shop_order VALUES (1, 'apple', 3)");
         st.execute("CREATE SCHEMA \"broken\"");
         st.execute("CREATE TABLE \"broken\".\"rk_commit\" (seq BIGINT)");
         st.execute("CREATE TABLE \"broken\".\"rk_meta\" (meta_key VARCHAR(40), meta_value VARCHAR(40))");
         st.execute("INSERT INTO \"broken\".\"rk_meta\" VALUES ('schema_version', '999')");
      }
      final Path rules = rules("replkit.agent.rule.1.url=jdbc:h2:file:*", "replkit.logSchema=broken");
      final ChildJvm.Result r = ChildJvm.run(true, rules, SAMPLE, "plain", "readwrite", h2);
      assertEquals(0, r.exit(), r.output());
      assertEquals(2, r.count("read: 1 orders"), r.output());
      assertEquals(2, r.count("write: refused: ReplKit agent could not set up capture for this connection: "
                                 + "java.sql.SQLException: the change log in schema broken has schema version 999"), r.output());
      assertEquals(0, r.count("write: done"), r.output());
      assertEquals(1, r.count("SEVERE: ReplKit agent could not set up capture for a connection"), "logged once: " + r.output());
      try (Connection c = DriverManager.getConnection(h2)) {
         assertEquals(List.of("1 | apple | 3"), TestDatabases.rows(c, "shop_order", "id"));
      }
   }

   /** -javaagent without a rules file: every connection to a supported database, with the default settings (site: the database name). */
   @Test
   void withoutARulesFileEverySupportedDatabaseIsCaptured() throws Exception
   {
      final String h2 = h2File("everything");
      final ChildJvm.Result r = ChildJvm.run(true, null, SAMPLE, "plain", "orders", h2);
      assertEquals(0, r.exit(), r.output());
      assertEquals(4, r.count("connection: ReplKit:conn"), r.output());
      assertReplicates(h2, "EVERYTHING", Kind.H2);
   }

   /** A connection the driver cannot open fails exactly as without the agent: pools read the SQLState. */
   @Test
   void aFailedConnectKeepsTheDriversException() throws Exception
   {
      final Path rules = rules("replkit.agent.rule.1.url=jdbc:postgresql://*");
      final String missing = "jdbc:postgresql://127.0.0.1:5432/rk_agent_no_such_database?user=postgres";
      final ChildJvm.Result with = ChildJvm.run(true, rules, SAMPLE, "plain", "connect", missing);
      final ChildJvm.Result without = ChildJvm.run(false, null, SAMPLE, "plain", "connect", missing);
      final List<String> expected = without.output().lines().filter(l -> l.startsWith("connect: ")).toList();
      assertTrue(expected.get(0).startsWith("connect: failed: org.postgresql.util.PSQLException 3D000"), without.output());
      assertEquals(expected, with.output().lines().filter(l -> l.startsWith("connect: ")).toList(), with.output());
   }

   /** Running without capture would lose changes silently, so a bad rules file stops the JVM with the reason. */
   @Test
   void badRulesStopTheJvmWithTheReason() throws Exception
   {
      final Path rules = rules("replkit.agent.rule.1.url=jdbc:h2:*", "replkit.sight=paris");
      final ChildJvm.Result r = ChildJvm.run(true, rules, SAMPLE, "plain", "orders");
      assertEquals(1, r.exit(), r.output());
      assertTrue(r.output().contains("unknown ReplKit setting replkit.sight"), r.output());
      assertTrue(r.output().contains("refusing to start the application"), r.output());
   }

   private void assertCapturedOnce(ChildJvm.Result r, int connections)
   {
      assertEquals(connections, r.count("connection: "), r.output());
      assertEquals(connections, r.count("ReplKit:"), "every connection captured: " + r.output());
      assertEquals(0, r.count("ReplKit:ReplKit:"), "never wrapped twice: " + r.output());
      assertEquals(4, r.count("unwrap: org.h2.jdbc.JdbcConnection"), r.output());
      assertEquals(4, r.count("unwrap: org.postgresql.jdbc.PgConnection"), r.output());
      assertFalse(r.output().contains("SEVERE"), r.output());
   }

   /** An H2 file database with the sample's table, closed again so the child JVM can open it. */
   private String h2File(String name) throws SQLException
   {
      final String url = "jdbc:h2:file:" + dir.resolve(name).toAbsolutePath();
      try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
         st.execute(TABLE);
      }
      return url;
   }

   private Path rules(String... lines) throws Exception
   {
      final Path file = Files.createTempFile(dir, "agent", ".properties");
      Files.write(file, List.of(lines));
      return file;
   }

   /**
    * The sample's four transactions are in the change log under the rule's site, and the replication
    * server (in this JVM) replicates them into an equal replicate.
    */
   private static void assertReplicates(String primaryUrl, String site, Kind kind) throws Exception
   {
      final Path work = Files.createTempDirectory("agent-server");
      try (TestDb rep = TestDatabases.create(kind, "agentrep");
           Connection primary = DriverManager.getConnection(primaryUrl)) {
         rep.exec(TABLE);
         final Dialect d = Dialect.of(primary);
         final List<CommittedTransaction> txs = new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, primary)), "t")
            .read(primary, 0, 1000);
         assertEquals(4, txs.size(), "one per committed transaction: " + txs);
         for (CommittedTransaction tx : txs) {
            assertEquals(site, tx.oqid().site(), tx.toString());
         }
         final List<String> expected = List.of("1 | apple | 4", "2 | pear | 1", "10 | item10 | 20", "11 | item11 | 22",
                                               "12 | item12 | 24", "13 | item13 | 26", "14 | item14 | 28");
         assertEquals(expected, TestDatabases.rows(primary, "shop_order", "id"));
         final ServerConfig cfg = new ServerConfig(work.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + work.resolve("control"), null, null),
                                                   List.of(new ServerConfig.Site(site, new ServerConfig.Db(primaryUrl, null, null), 20)),
                                                   List.of(new ServerConfig.Conn("agent.replicate", new ServerConfig.Db(rep.url(), null, null), Set.of(site), null, 50, 5000)));
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            List<String> replicated = List.of();
            while (System.nanoTime() < deadline && !(replicated = rep.rows("shop_order", "id")).equals(expected)) {
               Thread.sleep(50);
            }
            assertEquals(expected, replicated, "the replication server applied what the agent captured");
         }
      }
   }
}
