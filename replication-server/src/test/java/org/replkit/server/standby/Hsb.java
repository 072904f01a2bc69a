package org.replkit.server.standby;

import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.LogMeta;
import org.replkit.core.verify.Verify;
import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A hot-standby pair under test: a primary written through {@code jdbc:replkit:} (an {@code item} table
 * of {@value #ITEMS} rows unless told otherwise, and an append-only {@code events} table), a stoppable secondary, and a
 * replication server whose configuration has the standby section.
 */
final class Hsb implements AutoCloseable
{
   static final int ITEMS = 10_000;
   /** Items the writing client touches: above 100, so tests may change the first hundred behind ReplKit's back. */
   static final int WRITTEN = 5000;

   final TestDb primary;
   final Secondary secondary;
   final ReplicationServer server;
   final ServerConfig.Standby cfg;
   private final AtomicLong eventIds = new AtomicLong(1_000_000);

   private Hsb(TestDb primary, Secondary secondary, ReplicationServer server, ServerConfig.Standby cfg)
   {
      this.primary = primary;
      this.secondary = secondary;
      this.server = server;
      this.cfg = cfg;
   }

   /**
    * @param asSite the primary is also a site of the server (its log reader truncates the log, never past
    *               the standby floor); otherwise the pair truncates it
    */
   static Hsb start(Kind primaryKind, Kind secondaryKind, Path dir, boolean asSite, long maxLogTransactions) throws Exception
   {
      return start(primaryKind, secondaryKind, dir, asSite, maxLogTransactions, ITEMS);
   }

   static Hsb start(Kind primaryKind, Kind secondaryKind, Path dir, boolean asSite, long maxLogTransactions, int items) throws Exception
   {
      final TestDb p = TestDatabases.create(primaryKind, "hsb_p");
      Secondary s = null;
      try {
         s = Secondary.create(secondaryKind, "hsb_s");
         schema(p, items);
         final ServerConfig.Db pdb = new ServerConfig.Db(p.url(), null, null);
         final List<ServerConfig.Site> sites = asSite ? List.of(new ServerConfig.Site("S1", pdb, 20)) : List.of();
         final ServerConfig.Standby cfg = new ServerConfig.Standby("hsb", asSite ? "S1" : null, pdb, new ServerConfig.Db(s.url(), null, null),
                                                                   maxLogTransactions, 256L << 20, dir.resolve("hsb-copy"), 10, 120, 200);
         final ReplicationServer server = new ReplicationServer(new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null),
                                                                                sites, List.of(), cfg));
         server.start();
         final Hsb h = new Hsb(p, s, server, cfg);
         h.await("the pair read its state", 20_000, () -> server.standby().pair().ready());
         return h;
      }
      catch (Exception | Error e) {
         if (s != null) {
            s.close();
         }
         p.close();
         throw e;
      }
   }

   private static void schema(TestDb p, int items) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(p.replkitUrl("replkit.site=S1")); Statement st = c.createStatement()) {
         st.execute("CREATE TABLE item (id INT PRIMARY KEY, qty INT NOT NULL, note VARCHAR(40), price DECIMAL(10,2), updated TIMESTAMP)");
         st.execute("CREATE TABLE events (id BIGINT PRIMARY KEY, item INT NOT NULL, amount DECIMAL(12,2))");
         c.setAutoCommit(false);
         try (PreparedStatement ps = c.prepareStatement("INSERT INTO item VALUES (?, 0, ?, ?, ?)")) {
            for (int i = 1; i <= items; i++) {
               ps.setInt(1, i);
               ps.setString(2, "item " + i);
               ps.setBigDecimal(3, BigDecimal.valueOf(i, 2));
               ps.setTimestamp(4, Timestamp.valueOf(LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(i)));
               ps.addBatch();
            }
            ps.executeBatch();
         }
         c.commit();
      }
   }

   StandbyPair pair()
   {
      return server.standby().pair();
   }

   String cmd(String text)
   {
      return server.admin(text);
   }

   /** The message of a refused command. */
   String refused(String text)
   {
      final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> server.admin(text), text + " should be refused");
      return e.getMessage();
   }

   /** From nothing to PRIMARY ACTIVE: a full copy, then connect. */
   void connected()
   {
      final String copy = cmd("hotstandby netcopy");
      assertTrue(copy.contains("overwritten"), copy);
      final String connect = cmd("hotstandby connect");
      assertTrue(connect.startsWith("Connected"), connect);
      assertEquals(StandbyPair.State.PRIMARY_ACTIVE, pair().state());
   }

   /** {@code n} transactions through the driver, each updating an item (ids above 100) and adding an event. */
   void write(int n) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1"))) {
         c.setAutoCommit(false);
         for (int i = 0; i < n; i++) {
            one(c);
            c.commit();
         }
      }
   }

   private void one(Connection c) throws SQLException
   {
      final int item = 101 + ThreadLocalRandom.current().nextInt(WRITTEN - 100);
      try (PreparedStatement up = c.prepareStatement("UPDATE item SET qty = qty + 1, updated = ? WHERE id = ?");
           PreparedStatement ev = c.prepareStatement("INSERT INTO events VALUES (?, ?, ?)")) {
         up.setTimestamp(1, Timestamp.valueOf(LocalDateTime.now()));
         up.setInt(2, item);
         up.executeUpdate();
         ev.setLong(1, eventIds.incrementAndGet());
         ev.setInt(2, item);
         ev.setBigDecimal(3, new BigDecimal("1.50"));
         ev.executeUpdate();
      }
   }

   /** A client that keeps committing (a few hundred transactions a second) until closed. */
   final class Writer implements AutoCloseable
   {
      private final Thread thread;
      private volatile boolean stop;
      private volatile Throwable failure;
      final AtomicLong committed = new AtomicLong();

      Writer()
      {
         thread = new Thread(() -> {
            try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1"))) {
               c.setAutoCommit(false);
               while (!stop) {
                  one(c);
                  c.commit();
                  committed.incrementAndGet();
                  Thread.sleep(2);
               }
            }
            catch (Throwable t) {
               failure = t;
            }
         }, "hsb-writer");
         thread.start();
      }

      @Override
      public void close() throws Exception
      {
         stop = true;
         thread.join(30_000);
         if (failure != null) {
            throw new AssertionError("the writing client failed", failure);
         }
         assertTrue(committed.get() > 0, "the client committed while the pair worked");
      }
   }

   Writer writer()
   {
      return new Writer();
   }

   void await(String what, long ms, BooleanSupplier condition) throws InterruptedException
   {
      final long until = System.currentTimeMillis() + ms;
      while (!condition.getAsBoolean()) {
         if (System.currentTimeMillis() > until) {
            fail("timed out waiting until " + what + "; the pair says:\n" + pair().describe());
         }
         Thread.sleep(20);
      }
   }

   void awaitState(StandbyPair.State state) throws InterruptedException
   {
      await("the pair is " + state, 30_000, () -> pair().state() == state);
   }

   long primaryPosition() throws SQLException
   {
      try (Connection c = primary.connect()) {
         final Dialect d = Dialect.of(c);
         return new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), "S1").position(c);
      }
   }

   String meta(String key) throws SQLException
   {
      try (Connection c = primary.connect()) {
         final Dialect d = Dialect.of(c);
         return LogMeta.get(c, new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), key);
      }
   }

   /** The secondary's applied position (its rk_standby row), or -1 without one. */
   long secondaryPosition() throws SQLException
   {
      try (Connection c = secondary.db.connect()) {
         final Dialect d = Dialect.of(c);
         try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT seq FROM " + d.quote(ChangeLogSchema.defaultSchema(d, c)) + "." + d.quote("rk_standby"))) {
            return rs.next() ? rs.getLong(1) : -1;
         }
      }
   }

   /** Waits until the secondary applied everything the primary committed, then compares them. */
   void assertIdentical() throws Exception
   {
      final long target = primaryPosition();
      await("the secondary reached position " + target, 30_000, () -> {
         try {
            return secondaryPosition() >= target;
         }
         catch (SQLException e) {
            return false;
         }
      });
      try (Connection p = primary.connect(); Connection s = secondary.db.connect()) {
         final Verify.Result r = new Verify(p, s, 1000).run(List.of("item", "events"));
         assertTrue(r.identical(), String.join("\n", r.report()));
      }
      assertEquals(count(primary, "events"), count(secondary.db, "events"));
   }

   static long count(TestDb db, String table) throws SQLException
   {
      try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
         rs.next();
         return rs.getLong(1);
      }
   }

   @Override
   public void close() throws Exception
   {
      try {
         server.close();
      }
      finally {
         try {
            secondary.close();
         }
         finally {
            primary.close();
         }
      }
   }
}
