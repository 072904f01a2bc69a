package org.replkit.server;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.replkit.core.verify.Verify;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seed 004's scenario end to end: group SPROCKET, master definition site D7CA, an existing master D7TX,
 * new site D7NY added by offline instantiation in the nine steps, with writes at the existing masters
 * throughout; at the end every master is identical.
 */
class OfflineInstantiationTest
{
   @ParameterizedTest
   @ValueSource(strings = {"H2", "MIX", "PG_NATIVE_DUMP"})
   void nineStepsWithWritesAtTheExistingMasters(String mix, @TempDir Path dir) throws Exception
   {
      final boolean h2 = mix.equals("H2");
      nativeDump = mix.equals("PG_NATIVE_DUMP"); // D7NY from pg_dump of D7TX instead of 'replkit export'
      try (TestDb ca = TestDatabases.create(h2 ? Kind.H2 : Kind.POSTGRESQL, "oi_ca");
           TestDb tx = TestDatabases.create(h2 ? Kind.H2 : nativeDump ? Kind.POSTGRESQL : Kind.MARIADB, "oi_tx");
           TestDb ny = TestDatabases.create(h2 ? Kind.H2 : Kind.POSTGRESQL, "oi_ny")) {
         try (Connection c = DriverManager.getConnection(ca.replkitUrl("replkit.site=D7CA")); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE parts (id INT PRIMARY KEY, name VARCHAR(40), qty INT NOT NULL)");
         }
         final List<int[]> seed = new ArrayList<>();
         for (int i = 1; i <= 20; i++) {
            seed.add(new int[] {i, i});
         }
         try (Connection c = DriverManager.getConnection(ca.replkitUrl("replkit.site=D7CA"));
              PreparedStatement ps = c.prepareStatement("INSERT INTO parts (id, name, qty) VALUES (?, 'sprocket', ?)")) {
            for (int[] r : seed) {
               ps.setInt(1, r[0]);
               ps.setInt(2, r[1]);
               ps.executeUpdate();
            }
         }
         final Map<String, TestDb> sites = new java.util.LinkedHashMap<>();
         sites.put("D7CA", ca);
         sites.put("D7TX", tx);
         sites.put("D7NY", ny);
         final List<ServerConfig.Site> siteCfg = new ArrayList<>();
         final List<ServerConfig.Conn> conns = new ArrayList<>();
         sites.forEach((name, db) -> {
            siteCfg.add(new ServerConfig.Site(name, new ServerConfig.Db(db.url(), null, null), 20));
            final Set<String> others = new java.util.LinkedHashSet<>(sites.keySet());
            others.remove(name);
            conns.add(new ServerConfig.Conn(db.kind.name().toLowerCase() + "." + db.name, new ServerConfig.Db(db.url(), null, null), others, null, 20, 2000, name));
         });
         final ServerConfig cfg = new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null),
                                                   siteCfg, conns, Set.of("", "postgres", "root")); // H2's default user, the test servers' users
         final Groups.Caller atCa = new Groups.Caller("D7CA", null);
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            server.admin("BEGIN DBMS_REPCAT.CREATE_MASTER_REPGROUP(gname => 'SPROCKET'); "
                         + "DBMS_REPCAT.CREATE_MASTER_REPOBJECT(sname => 'PUBLIC', oname => 'PARTS', type => 'TABLE', gname => 'SPROCKET'); END;", atCa);

            // D7TX becomes a master the same way, before any writes: the existing masters are then D7CA and D7TX
            instantiate(server, dir.resolve("tx-export"), "D7TX", "D7CA", null);
            try (Writer wca = new Writer(ca, "D7CA", 10_000); Writer wtx = new Writer(tx, "D7TX", 20_000)) {
               wca.start();
               wtx.start();
               wca.awaitCommits(20);
               wtx.awaitCommits(20);
               // D7NY: the seed's nine steps, exported from D7TX ("any master site"), called through the driver
               instantiate(server, dir.resolve("ny-export"), "D7NY", "D7TX", dir, wca, wtx);
               wca.awaitCommits(20);
               wtx.awaitCommits(20);
               try (Writer wny = new Writer(ny, "D7NY", 30_000)) {
                  wny.start();
                  wny.awaitCommits(20);
               }
               assertTrue(wca.refused.get() + wtx.refused.get() > 0, "writes were refused while the group was quiesced");
            }
            awaitIdentical(server, ca, tx, ny);
            for (String name : server.control().connections().stream().map(c -> c.name()).toList()) {
               assertEquals("ACTIVE", server.control().connection(name).state(), name + ": " + server.control().connection(name).error());
            }
         }
      }
   }

   private static boolean nativeDump;

   /**
    * The nine steps for {@code newSite}, exporting from {@code from}. With {@code control} set, the calls go
    * as SQL through the driver of the calling site (the seed's own texts), else through admin.
    */
   static void instantiate(ReplicationServer server, Path export, String newSite, String from, Path control, Writer... writers)
      throws Exception
   {
      final String block = "BEGIN DBMS_REPCAT.ADD_MASTER_DATABASE( gname => 'SPROCKET', master =>'" + newSite + "');; "
                           + "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET'); DBMS_OFFLINE_OG.BEGIN_INSTANTIATION( gname => 'SPROCKET',"
                           + " new_site => '" + newSite + "'); END;";
      call(server, control, "D7CA", block);                                                       // steps 1-3
      assertEquals("QUIESCED", server.control().group("SPROCKET").state());
      for (Writer w : writers) {
         w.awaitRefusal();
      }
      final Path dump = export.resolveSibling(newSite + ".sql");
      if (nativeDump && control != null) {
         ResyncTest.run("pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--no-owner", "--no-privileges", "-f", dump.toString(),
                        dbName(server, from));                                                     // step 4, native
      }
      else {
         final Map<String, Long> positions = Instantiation.export(configOf(server), server.control(), "SPROCKET", from, export, p -> { }); // step 4
         assertTrue(positions.containsKey(from), positions.toString());
      }
      call(server, control, "D7CA", "BEGIN DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS(gname => 'SPROCKET', new_site => '" + newSite + "'); END;"); // 5
      call(server, control, newSite, "BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD( gname => 'SPROCKET', new_site=> '" + newSite + "'); END;");     // step 6
      for (Writer w : writers) {
         w.awaitCommits(10); // the existing masters write again while the new site loads
      }
      if (nativeDump && control != null) {
         server.admin("suspend log transfer from " + newSite); // its log reader must not read the copied log as the new site's
         // the dump brings the exporting master's change log: the one the driver made at the new site (BEGIN_LOAD ran there) goes
         try (Connection c = DriverManager.getConnection(server.config().site(newSite).db().url()); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA replkit CASCADE");
         }
         ResyncTest.run("psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d", dbName(server, newSite), "-f", dump.toString());
         final Map<String, Long> positions = Instantiation.adoptNative(configOf(server), newSite, from);   // step 7, native
         assertTrue(positions.get(from) > 0, positions.toString());
         assertEquals(positions, Instantiation.adoptNative(configOf(server), newSite, from), "a rerun changes nothing");
         server.admin("resume log transfer from " + newSite);
      }
      else {
         Instantiation.load(configOf(server), newSite, export, p -> { });                           // step 7
      }
      assertEquals(Dsi.State.HELD_FOR_INSTANTIATION, server.dsi(connectionTo(server, newSite)).state(), "nothing sent to the new site yet");
      call(server, control, newSite, "BEGIN DBMS_OFFLINE_OG.END_LOAD( gname => 'SPROCKET', new_site=> '" + newSite + "'); END;");       // step 8
      server.queue().purge(); // what the housekeeper does every few seconds: it must keep what is queued for the new site
      call(server, control, "D7CA", "BEGIN DBMS_OFFLINE_OG.END_INSTANTIATION( gname => 'SPROCKET', new_site => '" + newSite + "'); END;"); // 9
      ResyncTest.awaitState(server, connectionTo(server, newSite), Dsi.State.ACTIVE);
   }

   private static void call(ReplicationServer server, Path control, String site, String sql) throws SQLException
   {
      if (control == null) {
         server.admin(sql, new Groups.Caller(site, null));
         return;
      }
      final TestDb db = dbOf(server, site);
      final Properties p = new Properties();
      p.setProperty("replkit.site", site);
      p.setProperty("replkit.control", "jdbc:h2:file:" + control.resolve("control") + ";DB_CLOSE_ON_EXIT=FALSE");
      try (Connection c = DriverManager.getConnection(db.replkitUrl(), p); Statement st = c.createStatement()) {
         st.execute(sql);
      }
   }

   private static ServerConfig configOf(ReplicationServer server)
   {
      return server.config();
   }

   private static String dbName(ReplicationServer server, String site)
   {
      final String url = server.config().site(site).db().url();
      return url.substring(url.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
   }

   private static String connectionTo(ReplicationServer server, String site)
   {
      return server.config().connectionTo(site).name();
   }

   private static TestDb dbOf(ReplicationServer server, String site)
   {
      final String url = server.config().site(site).db().url();
      final Kind kind = url.startsWith("jdbc:h2:") ? Kind.H2 : url.startsWith("jdbc:mariadb:") ? Kind.MARIADB : Kind.POSTGRESQL;
      return TestDatabases.at(kind, site, url);
   }

   private static void awaitIdentical(ReplicationServer server, TestDb ca, TestDb... others) throws Exception
   {
      final long until = System.currentTimeMillis() + 60_000;
      List<String> report = List.of();
      while (System.currentTimeMillis() < until) {
         boolean all = true;
         for (TestDb o : others) {
            try (Connection a = DriverManager.getConnection(ca.url()); Connection b = DriverManager.getConnection(o.url())) {
               final Verify.Result r = new Verify(a, b, 16).run(List.of("parts"));
               all &= r.identical();
               if (!r.identical()) {
                  report = r.report();
               }
            }
         }
         if (all) {
            return;
         }
         Thread.sleep(200);
      }
      fail("masters differ: " + String.join("\n", report) + "\n" + Status.render(server.control()));
   }

   /** Inserts and updates its own rows at one master through the driver; counts writes refused by a quiesce. */
   static final class Writer extends Thread implements AutoCloseable
   {
      final TestDb db;
      final String site;
      final int base;
      final AtomicLong commits = new AtomicLong();
      final AtomicLong refused = new AtomicLong();
      final AtomicReference<Throwable> failure = new AtomicReference<>();
      private volatile boolean stop;

      Writer(TestDb db, String site, int base)
      {
         super("writer-" + site);
         this.db = db;
         this.site = site;
         this.base = base;
         setDaemon(true);
      }

      @Override
      public void run()
      {
         try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=" + site));
              PreparedStatement ins = c.prepareStatement("INSERT INTO parts (id, name, qty) VALUES (?, ?, ?)");
              PreparedStatement up = c.prepareStatement("UPDATE parts SET qty = qty + 1 WHERE id = ?")) {
            int next = base;
            while (!stop) {
               try {
                  if (next == base || ThreadLocalRandom.current().nextBoolean()) {
                     ins.setInt(1, next);
                     ins.setString(2, site);
                     ins.setInt(3, 1);
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
                  refused.incrementAndGet(); // quiesced: try again shortly
                  Thread.sleep(20);
               }
               Thread.sleep(3);
            }
         }
         catch (Throwable e) {
            failure.set(e);
         }
      }

      void awaitCommits(long more) throws InterruptedException
      {
         final long target = commits.get() + more;
         final long until = System.currentTimeMillis() + 30_000;
         while (commits.get() < target && System.currentTimeMillis() < until && failure.get() == null) {
            Thread.sleep(5);
         }
         assertNull(failure.get(), () -> site + " writer failed: " + failure.get());
         assertTrue(commits.get() >= target, site + " writer made no progress");
      }

      void awaitRefusal() throws InterruptedException
      {
         final long seen = refused.get();
         final long until = System.currentTimeMillis() + 10_000;
         while (refused.get() == seen && System.currentTimeMillis() < until && failure.get() == null) {
            Thread.sleep(5);
         }
         assertNull(failure.get(), () -> site + " writer failed: " + failure.get());
      }

      @Override
      public void close() throws InterruptedException
      {
         stop = true;
         join(10_000);
         assertNull(failure.get(), () -> site + " writer failed: " + failure.get());
      }
   }
}
