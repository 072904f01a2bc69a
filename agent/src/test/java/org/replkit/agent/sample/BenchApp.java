package org.replkit.agent.sample;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The application side of the overhead benchmark (run by AgentOverheadBench, with and without the agent):
 * <pre>
 * BenchApp &lt;jdbc url&gt; &lt;operations&gt;
 * </pre>
 * prints "first-connection-ms" (JVM start to the first connection from HikariCP), then nanoseconds per
 * operation for: HikariCP getConnection+close (100,000 times), and, {@code operations} times each, a
 * prepared SELECT by key and a prepared UPDATE by key in transactions of 100 updates.
 */
public final class BenchApp
{
   public static void main(String[] args) throws Exception
   {
      final String url = args[0];
      final int n = Integer.parseInt(args[1]);
      final HikariConfig config = new HikariConfig();
      config.setJdbcUrl(url);
      config.setMaximumPoolSize(2);
      try (HikariDataSource pool = new HikariDataSource(config)) {
         try (Connection c = pool.getConnection()) {
            System.out.println("first-connection-ms " + (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()));
            try (Statement st = c.createStatement()) {
               st.execute("DROP TABLE IF EXISTS bench");
               st.execute("CREATE TABLE bench (id INT PRIMARY KEY, v BIGINT)");
               st.execute("INSERT INTO bench SELECT x, 0 FROM " + (url.startsWith("jdbc:h2:") ? "SYSTEM_RANGE(0, 99)" : "generate_series(0, 99) x"));
            }
         }
         for (int round = 0; round < 2; round++) { // the first round warms up the JIT
            final long borrow = time(100_000, () -> pool.getConnection().close()); // cheap, so many: n is sized for statements
            final long select;
            final long update;
            try (Connection c = pool.getConnection();
                 PreparedStatement q = c.prepareStatement("SELECT v FROM bench WHERE id = ?");
                 PreparedStatement u = c.prepareStatement("UPDATE bench SET v = v + 1 WHERE id = ?")) {
               final int[] i = {0};
               select = time(n, () -> {
                  q.setInt(1, i[0]++ % 100);
                  try (ResultSet rs = q.executeQuery()) {
                     rs.next();
                  }
               });
               c.setAutoCommit(false);
               update = time(n, () -> {
                  u.setInt(1, i[0] % 100);
                  u.executeUpdate();
                  if (++i[0] % 100 == 0) {
                     c.commit();
                  }
               });
               c.commit();
               c.setAutoCommit(true);
            }
            if (round == 1) {
               System.out.println("getConnection-ns " + borrow);
               System.out.println("select-ns " + select);
               System.out.println("update-ns " + update);
            }
         }
      }
   }

   interface Op
   {
      void run() throws SQLException;
   }

   private static long time(int n, Op op) throws SQLException
   {
      final long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
         op.run();
      }
      return (System.nanoTime() - start) / n;
   }
}
