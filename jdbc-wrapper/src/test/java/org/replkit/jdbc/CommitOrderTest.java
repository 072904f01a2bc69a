package org.replkit.jdbc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.replkit.jdbc.capture.CaptureSession;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The commit-order proof: many writers with conflicting updates on a few hot rows, random pauses between
 * taking the commit sequence and COMMIT, random rollbacks (some after the sequence was taken), while a
 * reader replays the log into a fresh database. The replay must equal the primary row for row.
 */
class CommitOrderTest
{
   private static final int WRITERS = 6;
   private static final int TX_PER_WRITER = 120;
   private static final int HOT_ROWS = 8;

   @AfterEach
   void clearHook()
   {
      CaptureSession.beforeCommitForTesting = null;
   }

   static Stream<Arguments> cases()
   {
      return Stream.of(Kind.values()).flatMap(k -> Stream.of(Arguments.of(k, true), Arguments.of(k, false)));
   }

   /**
    * {@code seam}: take the commit record and COMMIT in two steps with pauses and failures between them
    * (the widest window); without it, the production path that sends both at once.
    */
   @ParameterizedTest(name = "{0} seam={1}")
   @MethodSource("cases")
   void replayWhileWritingEqualsThePrimary(Kind kind, boolean seam) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "order"); TestDb rep = TestDatabases.create(kind, "order_rep")) {
         for (TestDb d : List.of(db, rep)) {
            d.exec("CREATE TABLE hot (id INT PRIMARY KEY, balance BIGINT NOT NULL, touched INT NOT NULL)",
                   "CREATE TABLE events (writer INT NOT NULL, n INT NOT NULL, balance_seen BIGINT, PRIMARY KEY (writer, n))");
         }
         final var seed = new StringBuilder("INSERT INTO hot VALUES ");
         for (int i = 0; i < HOT_ROWS; i++) {
            seed.append(i == 0 ? "" : ", ").append('(').append(i).append(", 1000, 0)");
         }
         db.exec(seed.toString());
         rep.exec(seed.toString());

         final AtomicInteger committed = new AtomicInteger();
         final AtomicInteger rolledBack = new AtomicInteger();
         final AtomicInteger failedAfterSequence = new AtomicInteger();
         // Between the commit record and COMMIT: pause, or fail (the transaction then rolls back holding a used sequence number).
         CaptureSession.beforeCommitForTesting = !seam ? null : () -> {
            final int r = ThreadLocalRandom.current().nextInt(100);
            if (r < 4) {
               throw new SQLException("injected failure after the commit sequence was taken", "40001");
            }
            if (r < 40) {
               sleep(ThreadLocalRandom.current().nextInt(4));
            }
            return null;
         };

         final AtomicBoolean writing = new AtomicBoolean(true);
         final ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
         final List<Future<?>> writers = new ArrayList<>();
         final String url = db.replkitUrl("replkit.site=P");
         try (Connection warm = DriverManager.getConnection(url)) {
            assertNotNull(warm); // installs capture before the writers race
         }
         for (int w = 0; w < WRITERS; w++) {
            final int writer = w;
            writers.add(pool.submit(() -> {
               try (Connection c = DriverManager.getConnection(url)) {
                  c.setAutoCommit(false);
                  try (PreparedStatement debit = c.prepareStatement("UPDATE hot SET balance = balance - ?, touched = touched + 1 WHERE id = ?");
                       PreparedStatement credit = c.prepareStatement("UPDATE hot SET balance = balance + ?, touched = touched + 1 WHERE id = ?");
                       PreparedStatement event = c.prepareStatement("INSERT INTO events VALUES (?, ?, (SELECT balance FROM hot WHERE id = ?))")) {
                     for (int n = 0; n < TX_PER_WRITER; n++) {
                        final ThreadLocalRandom rnd = ThreadLocalRandom.current();
                        int a = rnd.nextInt(HOT_ROWS);
                        int b = rnd.nextInt(HOT_ROWS - 1);
                        b = b >= a ? b + 1 : b;
                        final int lo = Math.min(a, b);
                        final int hi = Math.max(a, b); // lock in id order: no deadlocks, only waits
                        final int amount = rnd.nextInt(1, 50);
                        try {
                           debit.setInt(1, amount);
                           debit.setInt(2, lo);
                           debit.executeUpdate();
                           credit.setInt(1, amount);
                           credit.setInt(2, hi);
                           credit.executeUpdate();
                           event.setInt(1, writer);
                           event.setInt(2, n);
                           event.setInt(3, hi);
                           event.executeUpdate();
                           if (rnd.nextInt(10) == 0) {
                              c.rollback();
                              rolledBack.incrementAndGet();
                              continue;
                           }
                           c.commit();
                           committed.incrementAndGet();
                        }
                        catch (SQLException e) {
                           if (e.getMessage() != null && e.getMessage().startsWith("injected")) {
                              failedAfterSequence.incrementAndGet();
                           }
                           else if (!isRetryable(e)) {
                              throw e;
                           }
                           c.rollback();
                        }
                     }
                  }
               }
               return null;
            }));
         }
         final Future<Integer> reader = pool.submit(() -> {
            int applied = 0;
            try (Connection p = db.connect(); Connection r = rep.connect(); Replay replay = new Replay(p, r)) {
               while (writing.get()) {
                  applied += replay.drain();
                  sleep(2);
               }
               applied += replay.drain();
            }
            return applied;
         });
         for (Future<?> f : writers) {
            f.get(3, TimeUnit.MINUTES);
         }
         writing.set(false);
         final int applied = reader.get(1, TimeUnit.MINUTES);
         pool.shutdown();

         assertTrue(committed.get() > WRITERS * TX_PER_WRITER / 2, "most transactions commit: " + committed.get());
         assertTrue(rolledBack.get() > 0 && (failedAfterSequence.get() > 0 || !seam), "rollbacks " + rolledBack + ", failures after the sequence " + failedAfterSequence);
         assertEquals(committed.get(), applied, "every committed transaction replayed exactly once");
         assertEquals(db.rows("hot", "id"), rep.rows("hot", "id"));
         assertEquals(db.rows("events", "writer, n"), rep.rows("events", "writer, n"));
         assertEquals(committed.get(), rep.rows("events", "writer, n").size());
         try (Connection c = rep.connect(); Statement st = c.createStatement(); var rs = st.executeQuery("SELECT SUM(balance) FROM hot")) {
            rs.next();
            assertEquals(HOT_ROWS * 1000L, rs.getLong(1), "transfers conserve the total at the replica");
         }
      }
   }

   private static boolean isRetryable(SQLException e)
   {
      final String state = e.getSQLState() == null ? "" : e.getSQLState();
      return state.startsWith("40") || e.getErrorCode() == 1213 || e.getErrorCode() == 1205;
   }

   private static void sleep(int ms)
   {
      try {
         Thread.sleep(ms);
      }
      catch (InterruptedException e) {
         Thread.currentThread().interrupt();
      }
   }

   /** A commit that fails while taking its number must not keep the numbering lock: later commits go on. */
   @org.junit.jupiter.api.Test
   void aFailureWhileNumberingLeavesNoLockBehind() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.POSTGRESQL, "numbering")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         try (Connection failing = DriverManager.getConnection(db.replkitUrl())) {
            failing.setAutoCommit(false);
            failing.createStatement().executeUpdate("INSERT INTO acct VALUES (1, 1)");
            db.exec("ALTER SEQUENCE replkit.rk_seq RENAME TO rk_seq_away"); // numbering now fails inside the locked section
            final SQLException e = assertThrows(SQLException.class, failing::commit);
            assertTrue(e.getMessage().contains("rk_seq"), e.getMessage());
            failing.rollback();
            db.exec("ALTER SEQUENCE replkit.rk_seq_away RENAME TO rk_seq");
            // the failed session is still open: had it kept the lock, this commit would wait for it (lock_timeout turns that into an error)
            try (Connection other = DriverManager.getConnection(db.replkitUrl() + "&options=-c%20lock_timeout%3D3000")) {
               other.setAutoCommit(false);
               other.createStatement().executeUpdate("INSERT INTO acct VALUES (2, 2)");
               other.commit();
            }
            failing.createStatement().executeUpdate("INSERT INTO acct VALUES (3, 3)");
            failing.commit();
         }
         assertEquals(List.of("2 | 2", "3 | 3"), db.rows("acct", "id"));
      }
   }
}
