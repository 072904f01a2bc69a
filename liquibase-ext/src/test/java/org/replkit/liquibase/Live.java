package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.replkit.core.apply.LastCommit;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.control.ControlDb;
import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/**
 * A real replication server running in this JVM for the live tests, with its control database in a file that the
 * ReplKit driver reaches through {@code replkit.control} (the routing of procedure calls and admin commands sent as
 * SQL), and the helpers to watch what it does. Public for the samples module's tests (through this module's test jar).
 */
public final class Live implements AutoCloseable
{
   /** Database users who may run DBMS_REPCAT / DBMS_OFFLINE_OG through the driver: H2's default user, the test servers'. */
   public static final Set<String> ADMINISTRATORS = Set.of("", "postgres");

   public final Path dir;
   public final ReplicationServer server;

   private Live(Path dir, ReplicationServer server)
   {
      this.dir = dir;
      this.server = server;
   }

   public static Live start(Path dir, List<ServerConfig.Site> sites, List<ServerConfig.Conn> connections, ServerConfig.Standby standby) throws SQLException
   {
      final ServerConfig cfg = new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null), sites,
                                                connections, ADMINISTRATORS, standby);
      final ReplicationServer server = new ReplicationServer(cfg);
      server.start();
      return new Live(dir, server);
   }

   public static ServerConfig.Db db(TestDb t)
   {
      return new ServerConfig.Db(t.url(), null, null);
   }

   public static ServerConfig.Site site(String name, TestDb t)
   {
      return new ServerConfig.Site(name, db(t), 20);
   }

   /** A replicate connection {@code <kind>.<database>} from the given sites. */
   public static ServerConfig.Conn replicate(TestDb t, String... from)
   {
      return new ServerConfig.Conn(name(t), db(t), Set.of(from), null, 20, 2000);
   }

   /** The connection delivering to master {@code site} from the other masters. */
   public static ServerConfig.Conn master(TestDb t, String site, String... from)
   {
      return new ServerConfig.Conn(name(t), db(t), Set.of(from), null, 20, 2000, site);
   }

   public static String name(TestDb t)
   {
      return t.kind.name().toLowerCase() + "." + t.name;
   }

   /** The control database's URL as the driver and the composites reach it (the same file the server opened). */
   public String controlUrl()
   {
      return "jdbc:h2:file:" + dir.resolve("control") + ";DB_CLOSE_ON_EXIT=FALSE";
   }

   /**
    * The URL Liquibase runs with: the database through the ReplKit driver as {@code site}, commands routed to this
    * server, Liquibase's bookkeeping not captured. On H2 the control URL's ';' is written %3B, since ';' separates
    * H2's URL parameters (the driver decodes the value).
    */
   public String liquibaseUrl(TestDb db, String site)
   {
      final String control = db.kind == Kind.H2 ? controlUrl().replace(";", "%3B") : controlUrl();
      return db.replkitUrl("replkit.site=" + site, "replkit.control=" + control, "replkit.exclude=databasechangelog*,replkit_progress");
   }

   public ControlDb.Conn connection(String name) throws SQLException
   {
      return server.control().connection(name);
   }

   public String siteState(String site) throws SQLException
   {
      return server.control().sites().stream().filter(s -> s.name().equals(site)).findFirst().orElseThrow().state();
   }

   /** Waits until the connection's row in rs_connections satisfies {@code ok}. */
   public void awaitConnection(String name, String what, Predicate<ControlDb.Conn> ok) throws Exception
   {
      final long until = System.currentTimeMillis() + 30_000;
      ControlDb.Conn c = connection(name);
      while (!ok.test(c) && System.currentTimeMillis() < until) {
         Thread.sleep(20);
         c = connection(name);
      }
      if (!ok.test(c)) {
         fail("connection " + name + " did not become " + what + ": it is " + c.state() + " (" + c.error() + ")");
      }
   }

   /** Waits until the replicate applied everything {@code primary} (site {@code origin}) committed so far. */
   public static void awaitCaughtUp(TestDb primary, String origin, TestDb replicate) throws Exception
   {
      final long target;
      try (Connection c = primary.connect()) {
         final Dialect d = Dialect.of(c);
         target = new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), origin).position(c);
      }
      final long until = System.currentTimeMillis() + 60_000;
      long seen = 0;
      while (System.currentTimeMillis() < until) {
         try (Connection c = replicate.connect()) {
            seen = LastCommit.read(Dialect.of(c), c).getOrDefault(origin, 0L);
         }
         catch (SQLException notYet) {
            seen = 0; // rs_lastcommit is created by the first apply
         }
         if (seen >= target) {
            return;
         }
         Thread.sleep(50);
      }
      fail("replicate " + replicate.name + " did not catch up with " + origin + ": rs_lastcommit " + seen + ", primary at " + target);
   }

   @Override
   public void close()
   {
      server.close();
   }

   /**
    * Inserts and updates rows of {@code t(id, v)} through the ReplKit driver until closed: the primary keeps taking
    * writes while a procedure runs. Writes refused by a quiesced group (ORA-23326) are retried.
    */
   public static final class Writer extends Thread implements AutoCloseable
   {
      private final String url;
      private final int base;
      public final AtomicLong commits = new AtomicLong();
      public final AtomicLong refused = new AtomicLong();
      public final AtomicReference<Throwable> failure = new AtomicReference<>();
      private volatile boolean stop;

      public Writer(String url, int base)
      {
         super("live-writer");
         this.url = url;
         this.base = base;
         setDaemon(true);
         start();
      }

      @Override
      public void run()
      {
         try (Connection c = DriverManager.getConnection(url);
              PreparedStatement ins = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)");
              PreparedStatement up = c.prepareStatement("UPDATE t SET v = v + 1 WHERE id = ?")) {
            int next = base;
            while (!stop) {
               try {
                  if (next == base || ThreadLocalRandom.current().nextBoolean()) {
                     ins.setInt(1, next);
                     ins.setInt(2, next);
                     ins.executeUpdate();
                     next++;
                  }
                  else {
                     up.setInt(1, ThreadLocalRandom.current().nextInt(base, next));
                     up.executeUpdate();
                  }
                  commits.incrementAndGet();
               }
               catch (SQLException e) {
                  if (e.getMessage() == null || !e.getMessage().contains("ORA-23326")) {
                     throw e;
                  }
                  refused.incrementAndGet(); // the group is quiesced: try again shortly
                  Thread.sleep(20);
               }
               Thread.sleep(3);
            }
         }
         catch (Throwable e) {
            failure.set(e);
         }
      }

      public void awaitCommits(long more) throws InterruptedException
      {
         final long target = commits.get() + more;
         final long until = System.currentTimeMillis() + 30_000;
         while (commits.get() < target && System.currentTimeMillis() < until && failure.get() == null) {
            Thread.sleep(5);
         }
         assertNull(failure.get(), () -> "writer failed: " + failure.get());
         assertTrue(commits.get() >= target, "the writer made no progress");
      }

      @Override
      public void close() throws InterruptedException
      {
         stop = true;
         join(10_000);
         assertNull(failure.get(), () -> "writer failed: " + failure.get());
      }
   }

   /** A table {@code t(id, v)} with 50 rows, created and filled through the ReplKit driver (so it is captured). */
   public static void table(String replkitUrl) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(replkitUrl); var st = c.createStatement()) {
         st.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)");
         c.setAutoCommit(false);
         try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)")) {
            for (int i = 1; i <= 50; i++) {
               ps.setInt(1, i);
               ps.setInt(2, i);
               ps.addBatch();
            }
            ps.executeBatch();
         }
         c.commit();
      }
   }

   public static long count(TestDb db, String sql) throws SQLException
   {
      try (Connection c = db.connect(); var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
         rs.next();
         return rs.getLong(1);
      }
   }
}
