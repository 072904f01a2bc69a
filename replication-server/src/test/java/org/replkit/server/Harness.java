package org.replkit.server;

import org.replkit.core.verify.Verify;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** Test helpers: a server configuration over test databases, and waiting until a replicate caught up. */
final class Harness
{
   private Harness()
   {
   }

   static ServerConfig config(Path dir, List<TestDb> primaries, List<TestDb> replicates)
   {
      final List<ServerConfig.Site> sites = new ArrayList<>();
      final LinkedHashSet<String> names = new LinkedHashSet<>();
      for (int i = 0; i < primaries.size(); i++) {
         sites.add(new ServerConfig.Site(site(i), new ServerConfig.Db(primaries.get(i).url(), null, null), 20));
         names.add(site(i));
      }
      final List<ServerConfig.Conn> conns = new ArrayList<>();
      for (int i = 0; i < replicates.size(); i++) {
         conns.add(new ServerConfig.Conn(connection(replicates.get(i)), new ServerConfig.Db(replicates.get(i).url(), null, null), names, null, 20, 2000));
      }
      return new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null), sites, conns);
   }

   static String site(int i)
   {
      return "S" + (i + 1);
   }

   static String connection(TestDb db)
   {
      return db.kind.name().toLowerCase() + "." + db.name;
   }

   /** The primary's position (highest committed sequence in its change log). */
   static long position(TestDb primary) throws SQLException
   {
      try (Connection c = primary.connect()) {
         final Dialect d = Dialect.of(c);
         return new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), "x").position(c);
      }
   }

   /** The replicate's rs_lastcommit for an origin (0 when none yet). */
   static long lastCommit(TestDb replicate, String origin) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(replicate.url())) {
         final Dialect d = Dialect.of(c);
         final String t = d.quote(ChangeLogSchema.defaultSchema(d, c)) + "." + d.quote("rs_lastcommit");
         try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM " + t + " WHERE origin = ?")) {
            ps.setString(1, origin);
            try (ResultSet rs = ps.executeQuery()) {
               return rs.next() ? rs.getLong(1) : 0;
            }
         }
      }
      catch (SQLException e) {
         return 0; // not created yet
      }
   }

   /** Waits until the replicate applied everything the primary committed so far. */
   static void awaitCaughtUp(TestDb primary, String origin, TestDb replicate, long timeoutMs) throws Exception
   {
      awaitCaughtUp(primary, origin, replicate, timeoutMs, null);
   }

   /** As above, failing at once with the connection's error when {@code server}'s connection suspends on one. */
   static void awaitCaughtUp(TestDb primary, String origin, TestDb replicate, long timeoutMs, ReplicationServer server) throws Exception
   {
      final long target = position(primary);
      final long until = System.currentTimeMillis() + timeoutMs;
      long seen = 0;
      while (System.currentTimeMillis() < until) {
         seen = lastCommit(replicate, origin);
         if (seen >= target) {
            return;
         }
         if (server != null && server.dsi(connection(replicate)).state() == Dsi.State.SUSPENDED_ON_ERROR) {
            throw new AssertionError("connection " + connection(replicate) + " suspended: " + server.control().connection(connection(replicate)).error());
         }
         Thread.sleep(50);
      }
      throw new AssertionError("replicate " + replicate.name + " did not catch up with " + origin + ": rs_lastcommit " + seen + ", primary at " + target);
   }

   static Verify.Result verify(TestDb source, TestDb target, int chunk, String... tables) throws SQLException
   {
      try (Connection s = source.connect(); Connection t = target.connect()) {
         return new Verify(s, t, chunk).run(List.of(tables));
      }
   }

   static long count(TestDb db, String sql) throws SQLException
   {
      try (Connection c = db.connect(); var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
         rs.next();
         return rs.getLong(1);
      }
   }
}
