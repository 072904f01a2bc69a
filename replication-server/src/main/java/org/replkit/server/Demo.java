package org.replkit.server;

import org.replkit.core.verify.Verify;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * {@code replkit demo}: an embedded H2 primary written through the ReplKit driver by a HikariCP pool,
 * a replication server in this process, two H2 replicates, then verify and a summary. Needs nothing
 * installed; the stable queue and control database live in a temporary directory removed at the end.
 */
@Command(name = "demo", description = "Embedded demo: H2 primary, two H2 replicates, a workload, verification and a summary.")
final class Demo implements java.util.concurrent.Callable<Integer>
{
   @Option(names = "--transactions", description = "transactions in the workload (default: ${DEFAULT-VALUE})", defaultValue = "3000")
   int transactions;

   @Option(names = "--threads", description = "application threads (default: ${DEFAULT-VALUE})", defaultValue = "4")
   int threads;

   private static final int ACCOUNTS = 200;

   @Override
   public Integer call() throws Exception
   {
      final long t0 = System.currentTimeMillis();
      final Path dir = Files.createTempDirectory("replkit-demo");
      final String tag = Long.toString(System.nanoTime(), 36);
      final String primary = "jdbc:h2:mem:demo_primary_" + tag + ";DB_CLOSE_DELAY=-1";
      final List<String> replicas = List.of("jdbc:h2:mem:demo_replicate1_" + tag + ";DB_CLOSE_DELAY=-1",
                                            "jdbc:h2:mem:demo_replicate2_" + tag + ";DB_CLOSE_DELAY=-1");
      final List<Connection> keepAlive = new ArrayList<>();
      for (String url : replicas) {
         keepAlive.add(DriverManager.getConnection(url));
      }
      final HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl("jdbc:replkit:" + primary.substring(5) + ";replkit.site=PRIMARY");
      hc.setMaximumPoolSize(threads);
      hc.setPoolName("demo-app");
      System.out.println("ReplKit demo: H2 primary 'PRIMARY' -> connections h2.replicate1, h2.replicate2 (queue and control db in " + dir + ")");
      try (HikariDataSource app = new HikariDataSource(hc)) {
         // The schema goes through the driver too: the replicates get it as replicated DDL.
         try (Connection c = app.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE account (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance DECIMAL(12,2) NOT NULL, updated TIMESTAMP)");
            st.execute("CREATE TABLE transfer_log (id BIGINT PRIMARY KEY, from_id INT, to_id INT, amount DECIMAL(12,2), at TIMESTAMP)");
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO account VALUES (?, ?, 1000.00, CURRENT_TIMESTAMP)")) {
               for (int i = 1; i <= ACCOUNTS; i++) {
                  ps.setInt(1, i);
                  ps.setString(2, "owner" + i);
                  ps.addBatch();
               }
               ps.executeBatch();
            }
            c.commit();
         }
         final ServerConfig cfg = new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null),
                                                   List.of(new ServerConfig.Site("PRIMARY", new ServerConfig.Db(primary, null, null), 20)),
                                                   List.of(conn("h2.replicate1", replicas.get(0)), conn("h2.replicate2", replicas.get(1))));
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            final AtomicLong committed = new AtomicLong();
            final AtomicLong ids = new AtomicLong();
            final ExecutorService pool = Executors.newFixedThreadPool(threads);
            final List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
               final int share = transactions / threads + (t < transactions % threads ? 1 : 0);
               work.add(pool.submit(() -> {
                  workload(app, share, committed, ids);
                  return null;
               }));
            }
            pool.shutdown();
            while (!pool.awaitTermination(200, TimeUnit.MILLISECONDS)) {
               progress(committed.get(), server);
            }
            for (Future<?> f : work) {
               f.get();
            }
            progress(committed.get(), server);
            final long workloadEnd = System.currentTimeMillis();
            // caught up: both connections applied everything the log reader queued
            final long deadline = System.currentTimeMillis() + 30_000;
            final LogReader reader = server.reader("PRIMARY");
            while (System.currentTimeMillis() < deadline) {
               final long queued = reader.queued();
               if (queued > 0 && server.dsi("h2.replicate1").applied() >= queued && server.dsi("h2.replicate2").applied() >= queued
                   && reader.caughtUpAt() > workloadEnd) {
                  break;
               }
               progress(committed.get(), server);
               Thread.sleep(50);
            }
            lastLine = 0;
            progress(committed.get(), server);
            if (TERMINAL) {
               System.out.println();
            }
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"CONNECTION", "STATE", "CAPTURED", "APPLIED", "LAST LAG MS", "VERIFY"});
            boolean all = true;
            for (int i = 0; i < replicas.size(); i++) {
               final String name = "h2.replicate" + (i + 1);
               final Dsi d = server.dsi(name);
               final Verify.Result r;
               try (Connection s = DriverManager.getConnection(primary); Connection t = DriverManager.getConnection(replicas.get(i))) {
                  r = new Verify(s, t, 500).run(List.of("ACCOUNT", "TRANSFER_LOG"));
               }
               all &= r.identical();
               rows.add(new String[] {name, d.state().name(), String.valueOf(reader.queued()), String.valueOf(d.applied()), String.valueOf(d.lagMs()),
                                      r.identical() ? "identical" : "DIFFERENT: " + r.differingKeys()});
            }
            final StringBuilder sb = new StringBuilder();
            Status.table(sb, rows);
            System.out.print(sb);
            System.out.printf("%d application transactions through HikariCP + jdbc:replkit in %.1f s; %s%n", committed.get(),
                              (System.currentTimeMillis() - t0) / 1000.0, all ? "both replicates are identical to the primary." : "REPLICATES DIFFER.");
            return all ? 0 : 1;
         }
      }
      finally {
         for (Connection c : keepAlive) {
            try (Statement st = c.createStatement()) {
               st.execute("SHUTDOWN");
            }
            catch (SQLException ignored) {
               // already closed
            }
         }
         try (Connection c = DriverManager.getConnection(primary); Statement st = c.createStatement()) {
            st.execute("SHUTDOWN");
         }
         catch (SQLException ignored) {
            // already closed
         }
         deleteTree(dir);
      }
   }

   private static ServerConfig.Conn conn(String name, String url)
   {
      return new ServerConfig.Conn(name, new ServerConfig.Db(url, null, null), Set.of("PRIMARY"), null, 50, 5000);
   }

   /** Transfers between random accounts plus an append-only log row, one transaction each; retries lock timeouts. */
   private static void workload(HikariDataSource app, int n, AtomicLong committed, AtomicLong ids) throws SQLException
   {
      final ThreadLocalRandom rnd = ThreadLocalRandom.current();
      try (Connection c = app.getConnection()) {
         c.setAutoCommit(false);
         try (PreparedStatement debit = c.prepareStatement("UPDATE account SET balance = balance - ?, updated = CURRENT_TIMESTAMP WHERE id = ?");
              PreparedStatement log = c.prepareStatement("INSERT INTO transfer_log VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)")) {
            for (int i = 0; i < n; i++) {
               int a = 1 + rnd.nextInt(ACCOUNTS);
               int b = 1 + rnd.nextInt(ACCOUNTS);
               if (a == b) {
                  b = a % ACCOUNTS + 1;
               }
               // lock in id order: no deadlocks between the application threads
               final int first = Math.min(a, b);
               final int second = Math.max(a, b);
               final BigDecimal amount = BigDecimal.valueOf(rnd.nextInt(1, 5000), 2);
               for (int attempt = 0; ; attempt++) {
                  try {
                     debit.setBigDecimal(1, first == a ? amount : amount.negate());
                     debit.setInt(2, first);
                     debit.executeUpdate();
                     debit.setBigDecimal(1, second == a ? amount : amount.negate());
                     debit.setInt(2, second);
                     debit.executeUpdate();
                     log.setLong(1, ids.incrementAndGet());
                     log.setInt(2, a);
                     log.setInt(3, b);
                     log.setBigDecimal(4, amount);
                     log.executeUpdate();
                     c.commit();
                     committed.incrementAndGet();
                     break;
                  }
                  catch (SQLException e) {
                     c.rollback();
                     if (attempt >= 5) {
                        throw e;
                     }
                  }
               }
            }
         }
      }
   }

   private static final boolean TERMINAL = System.console() != null;
   private static long lastLine;

   /** One progress line redrawn in place on a terminal; a line a second when the output is a file or a pipe. */
   private static void progress(long committed, ReplicationServer server)
   {
      final long now = System.currentTimeMillis();
      if (!TERMINAL && now - lastLine < 1000) {
         return;
      }
      lastLine = now;
      System.out.printf((TERMINAL ? "\r" : "") + "workload: %6d transactions committed | queued %6d | h2.replicate1 applied %6d | h2.replicate2 applied %6d "
                        + (TERMINAL ? "" : "%n"), committed, server.reader("PRIMARY").queued(), server.dsi("h2.replicate1").applied(),
                        server.dsi("h2.replicate2").applied());
      System.out.flush();
   }

   private static void deleteTree(Path dir)
   {
      try (Stream<Path> s = Files.walk(dir)) {
         s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      catch (IOException ignored) {
         // a temporary directory: the OS cleans it eventually
      }
   }
}
