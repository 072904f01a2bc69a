package org.replkit.server.standby;

import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.LogMeta;
import org.replkit.core.copy.CopyProgress;
import org.replkit.core.copy.Snapshot;
import org.replkit.core.copy.TableCopy;
import org.replkit.core.verify.Verify;
import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A hot-standby pair (seed 003): a primary, a captured database the application writes through
 * {@code jdbc:replkit:}, and a secondary kept an exact copy of it. Transactions are shipped from the
 * primary's change log straight to the secondary ({@link Shipper}); the change log is also the catchup
 * store: while the secondary does not receive, the primary keeps the log from the secondary's received
 * position ({@link LogMeta#STANDBY_RECEIVED}, which every truncation respects).
 *
 * <p>States: the primary's (PRIMARY ACTIVE, PRIMARY ALONE, STANDALONE) with the secondary's beside it
 * (SECONDARY ACTIVE while the primary is PRIMARY ACTIVE, else SECONDARY ALONE). Every transition is made
 * in {@link #to}, which records the state in the primary's rk_meta before anything else sees it:
 * <pre>
 *   (first start, nothing recorded)           STANDALONE / SECONDARY ALONE: the secondary has no copy yet
 *   STANDALONE, PRIMARY ALONE --full copy done ('hotstandby copy' / 'netcopy')--&gt; PRIMARY ALONE / SECONDARY ALONE:
 *                                              the secondary holds the copy; the log is kept from the copy's position
 *   PRIMARY ALONE  --'hotstandby connect': catchup done and the databases equal--&gt; PRIMARY ACTIVE / SECONDARY ACTIVE
 *                                              (during catchup, and a copy it chose, both stay ALONE; on failure nothing changes)
 *   PRIMARY ACTIVE --secondary unreachable, or applying fails-------------------&gt; PRIMARY ALONE / SECONDARY ALONE
 *                                              (automatic: commits never wait for the secondary; the log is kept)
 *   PRIMARY ACTIVE --'hotstandby disconnect' / 'hotstandby set primary alone'---&gt; PRIMARY ALONE / SECONDARY ALONE
 *   PRIMARY ALONE  --the kept log exceeds maxLogTransactions or maxLogSize------&gt; STANDALONE: the log is no longer kept
 *                                              (the floor and the copy id are removed): catchup is impossible
 *   PRIMARY ACTIVE, PRIMARY ALONE --'hotstandby set standalone'-----------------&gt; STANDALONE (the same)
 *   STANDALONE     --'hotstandby set primary alone'-----------------------------&gt; PRIMARY ALONE (the secondary still needs a copy:
 *                                              the transactions committed while STANDALONE were not kept)
 * </pre>
 * Catchup is possible exactly when the primary kept the log for the copy the secondary holds: the
 * secondary's position row names its copy ({@code rk_standby}), the primary names the copy it keeps the
 * log for ({@code standby_copy}, removed when going STANDALONE), and the log was not truncated past the
 * secondary's position. Otherwise (a new, damaged or replaced secondary, a STANDALONE primary) only a full
 * copy helps, and every command says so with {@value Standby#NEEDS_COPY}.
 *
 * <p>One worker thread owns the connections: it ships while PRIMARY ACTIVE, measures the kept log while
 * PRIMARY ALONE, and runs the commands' operations (connect, copies, state changes) in between, so an
 * operation never races the shipping. Truncation: when the primary is a configured site its log reader
 * truncates (never past the floor); otherwise the pair truncates what nobody needs any more.
 */
public final class StandbyPair implements Runnable, AutoCloseable
{
   /** The seed's states, written with spaces as solidDB writes them. */
   public enum State
   {
      PRIMARY_ACTIVE, PRIMARY_ALONE, STANDALONE, SECONDARY_ACTIVE, SECONDARY_ALONE;

      @Override
      public String toString()
      {
         return name().replace('_', ' ');
      }

      static State parse(String text)
      {
         return valueOf(text.trim().replace(' ', '_'));
      }
   }

   static final String STATE = "standby_state";
   static final String REASON = "standby_reason";
   static final String COPY = "standby_copy";
   static final String APPLY_RATE = "standby_apply_rate";
   static final String COPY_RATE = "standby_copy_rate";
   static final String TABLE_SECONDS = "standby_table_seconds";

   private static final Logger LOG = LoggerFactory.getLogger(StandbyPair.class);
   private static final int BATCH = 500;
   private static final long SNAPSHOT_TIMEOUT_MS = 30_000;

   private record Op(String name, Callable<String> work, CompletableFuture<String> result)
   {
   }

   final ServerConfig.Standby cfg;
   private final BlockingQueue<Op> ops = new LinkedBlockingQueue<>();
   private volatile State primaryState = State.STANDALONE;
   private volatile State secondaryState = State.SECONDARY_ALONE;
   private volatile String reason = "no full copy of the primary has been made yet";
   private volatile String secondaryProblem;
   private volatile String activity;
   private volatile String running;
   private volatile String lastResult;
   private volatile String primaryProblem;
   private volatile boolean loaded;
   private volatile boolean stopped;
   private volatile long position;
   private volatile long floor = -1;
   private volatile long retainedTransactions;
   private volatile long retainedBytes;
   private Thread thread;

   // owned by the worker thread
   private Connection primary;
   private ChangeLogSchema log;
   private ChangeLogReader reader;
   private volatile Shipper shipper;
   private String copyId;
   private long tallyFloor = -1;
   private long tallyUpTo;
   private long lastHousekeeping;
   private long lastContact;
   private long lastTruncate;
   private long lastRateSave;
   private double savedApplyRate;

   public StandbyPair(ServerConfig.Standby cfg)
   {
      this.cfg = cfg;
   }

   public void start()
   {
      thread = new Thread(this, "replkit-hotstandby-" + cfg.name());
      thread.setDaemon(true);
      thread.start();
   }

   /** The primary's state (PRIMARY ACTIVE, PRIMARY ALONE or STANDALONE). */
   public State state()
   {
      return primaryState;
   }

   /** The secondary's state as the pair sees it (SECONDARY ACTIVE or SECONDARY ALONE). */
   public State secondaryState()
   {
      return secondaryState;
   }

   /** True once the pair has read its recorded state from the primary. */
   public boolean ready()
   {
      return loaded;
   }

   /** Runs an operation on the worker thread; the future completes with its answer or its exception. */
   synchronized CompletableFuture<String> submit(String name, Callable<String> work)
   {
      final Op op = new Op(name, work, new CompletableFuture<>());
      if (stopped) {
         op.result().completeExceptionally(new StandbyException("hotstandby " + name + ": the replication server is stopping", false));
         return op.result();
      }
      final Op queued = ops.peek();
      final String busy = running != null ? running : queued != null ? queued.name() : null;
      if (busy != null) { // one operation at a time: a second would run on a pair the first is changing
         op.result().completeExceptionally(new StandbyException("hotstandby " + name + ": 'hotstandby " + busy + "' is in progress"
                                                                + (activity == null ? "" : " (" + activity + ")") + " on the pair, which is "
                                                                + primaryState + "; try again when 'hotstandby state' shows it done", false));
         return op.result();
      }
      ops.add(op);
      return op.result();
   }

   // ---- the worker ----

   @Override
   public void run()
   {
      while (!stopped) {
         try {
            if (primary == null) {
               openPrimary();
            }
            final Op op = ops.poll();
            if (op != null) {
               runOp(op);
               continue;
            }
            final boolean busy = primaryState == State.PRIMARY_ACTIVE && active();
            housekeeping();
            if (!busy) {
               final Op next = ops.poll(cfg.pollMillis(), TimeUnit.MILLISECONDS);
               if (next != null) {
                  runOp(next);
               }
            }
         }
         catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
         }
         catch (SQLException | RuntimeException e) {
            if (stopped) {
               break;
            }
            final String why = ReplicationServer.describe(e, "primary");
            if (!why.equals(primaryProblem)) { // once per reason, not once per retry
               LOG.warn("HotStandby {}: {}", cfg.name(), why);
            }
            primaryProblem = why;
            closePrimary();
            for (Op pending; (pending = ops.poll()) != null; ) {
               pending.result().completeExceptionally(new StandbyException("hotstandby " + pending.name() + ": " + why + "; the pair is "
                                                                           + primaryState, false));
            }
            sleep(1000);
         }
      }
      closeShipper();
      closePrimary();
      for (Op pending; (pending = ops.poll()) != null; ) {
         pending.result().completeExceptionally(new StandbyException("hotstandby " + pending.name() + ": the replication server stopped", false));
      }
   }

   private void runOp(Op op)
   {
      LOG.info("HotStandby {}: hotstandby {} ({})", cfg.name(), op.name(), primaryState);
      running = op.name();
      String answer = null;
      StandbyException failure = null;
      try {
         answer = op.work().call();
         lastResult = "hotstandby " + op.name() + ": " + firstLine(answer);
      }
      catch (Exception e) {
         final String msg = e instanceof StandbyException ? e.getMessage() : "hotstandby " + op.name() + " failed: "
                                                                               + ReplicationServer.describe(e, "the pair") + "; the pair is " + primaryState;
         LOG.warn("HotStandby {}: hotstandby {} failed ({}): {}", cfg.name(), op.name(), primaryState, firstLine(msg));
         lastResult = "hotstandby " + op.name() + " failed: " + firstLine(msg);
         failure = e instanceof StandbyException se ? se : new StandbyException(msg, false);
         if (primaryState != State.PRIMARY_ACTIVE) {
            closeShipper(); // the next command reopens the secondary and reads its position again
         }
      }
      activity = null;
      running = null; // before the answer: whoever gets it may send the next command at once
      if (failure != null) {
         op.result().completeExceptionally(failure);
      }
      else {
         op.result().complete(answer);
      }
   }

   private void openPrimary() throws SQLException
   {
      final Connection c = ReplicationServer.connect(cfg.primary(), "primary", false);
      try {
         c.setAutoCommit(true);
         final Dialect d = Dialect.of(c);
         final ChangeLogSchema l = new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c));
         if (!l.isInstalled(c)) {
            throw new SQLException("the primary has no ReplKit change log (schema " + l.schema() + ") yet: the application must connect"
                                   + " through jdbc:replkit: at least once", "42P01");
         }
         primary = c;
         log = l;
         reader = new ChangeLogReader(l, cfg.site());
         if (!loaded) {
            final String s = LogMeta.get(c, l, STATE);
            if (s != null) {
               primaryState = State.parse(s);
               secondaryState = primaryState == State.PRIMARY_ACTIVE ? State.SECONDARY_ACTIVE : State.SECONDARY_ALONE;
               reason = LogMeta.get(c, l, REASON);
            }
            floor = LogMeta.getLong(c, l, LogMeta.STANDBY_RECEIVED, -1);
            copyId = LogMeta.get(c, l, COPY);
            savedApplyRate = rate(APPLY_RATE);
            loaded = true;
            LOG.info("HotStandby {}: {} / {}{}", cfg.name(), primaryState, secondaryState, reason == null ? "" : " (" + reason + ")");
         }
         position = reader.position(c);
         if (primaryProblem != null) {
            LOG.info("HotStandby {}: the primary is reachable again", cfg.name());
            primaryProblem = null;
         }
      }
      catch (SQLException | RuntimeException e) {
         if (primary == null) {
            closeQuietly(c);
         }
         throw e;
      }
   }

   /** PRIMARY ACTIVE: ships one batch; true when it shipped something. */
   private boolean active() throws SQLException
   {
      if (shipper == null || !shipper.isOpen()) {
         final Shipper.Position pos;
         try {
            pos = shipper().open();
         }
         catch (SQLException e) {
            secondaryLost(e);
            return false;
         }
         secondaryProblem = null;
         if (pos == null || !pos.copyId().equals(copyId)) {
            to(State.PRIMARY_ALONE, "the secondary's position row is " + (pos == null ? "missing" : "from another copy (" + pos.copyId() + ")")
                                    + ": its database was replaced or copied by someone else; " + Standby.NEEDS_COPY);
            return false;
         }
      }
      try {
         if (shipper.ship(primary, Long.MAX_VALUE, BATCH) > 0) {
            lastContact = System.currentTimeMillis();
            position = Math.max(position, shipper.position().seq());
            return true;
         }
         if (System.currentTimeMillis() - lastContact > 1000) { // idle: a secondary that went away is noticed without a transaction
            lastContact = System.currentTimeMillis();
            if (!shipper.connection().isValid(2)) {
               throw new SQLRecoverableException("the connection to the secondary was lost", "08006");
            }
         }
         return false;
      }
      catch (SQLException | RuntimeException e) {
         if (!primaryValid()) {
            throw e; // the primary's problem: reconnect to it; the state stays
         }
         secondaryLost(e);
         return false;
      }
   }

   /** PRIMARY ACTIVE failed on the secondary: unreachable, or applying failed there. */
   private void secondaryLost(Exception e) throws SQLException
   {
      final boolean unreachable = connectionLoss(e);
      final String why = unreachable ? "the secondary is unreachable: " + ReplicationServer.describe(e, "secondary")
                                     : "applying to the secondary failed: " + ReplicationServer.describe(e, "secondary")
                                       + " (the secondary differs from the primary; 'hotstandby connect' tries catchup, else " + Standby.NEEDS_COPY + ")";
      secondaryProblem = unreachable ? ReplicationServer.describe(e, "secondary") : null;
      closeShipper();
      to(State.PRIMARY_ALONE, why);
   }

   /** The position, the floor while PRIMARY ACTIVE, the kept log while PRIMARY ALONE, truncation and rates. */
   private void housekeeping() throws SQLException
   {
      final long now = System.currentTimeMillis();
      if (now - lastHousekeeping < 200) {
         return;
      }
      lastHousekeeping = now;
      position = reader.position(primary);
      if (primaryState == State.PRIMARY_ACTIVE && shipper != null && shipper.position() != null && shipper.position().seq() > floor) {
         setFloor(shipper.position().seq()); // what the secondary has: the log may go up to here
      }
      if (primaryState == State.PRIMARY_ALONE) {
         retention();
      }
      else {
         retainedTransactions = 0;
         retainedBytes = 0;
      }
      if (cfg.site() == null && now - lastTruncate > 1000) {
         reader.truncate(primary, position); // never past the floor; a configured site's log reader does this otherwise
         lastTruncate = now;
      }
      final double rate = shipper == null ? 0 : shipper.applyRate();
      if (rate > 0 && now - lastRateSave > 30_000 && Math.abs(rate - savedApplyRate) > savedApplyRate * 0.1) {
         saveApplyRate(rate);
         lastRateSave = now;
      }
   }

   /** PRIMARY ALONE: how much log is kept for the secondary; past the configured size, STANDALONE. */
   private void retention() throws SQLException
   {
      if (floor < 0) {
         retainedTransactions = 0;
         retainedBytes = 0;
         return;
      }
      if (tallyFloor != floor) {
         tallyFloor = floor;
         tallyUpTo = floor;
         retainedTransactions = 0;
         retainedBytes = 0;
      }
      final long upTo = position;
      if (upTo <= tallyUpTo) {
         return;
      }
      try (PreparedStatement tx = primary.prepareStatement("SELECT COUNT(*) FROM " + log.table("rk_commit") + " WHERE seq > ? AND seq <= ?");
           PreparedStatement bytes = primary.prepareStatement("SELECT SUM(COALESCE(OCTET_LENGTH(c.before_image), 0) + COALESCE(OCTET_LENGTH(c.after_image), 0)"
                                                              + " + COALESCE(OCTET_LENGTH(c.stmt), 0)) FROM " + log.table("rk_commit") + " m JOIN "
                                                              + log.table("rk_change") + " c ON c.tx = m.tx WHERE m.seq > ? AND m.seq <= ?")) {
         for (PreparedStatement ps : List.of(tx, bytes)) {
            ps.setLong(1, tallyUpTo);
            ps.setLong(2, upTo);
         }
         try (ResultSet rs = tx.executeQuery()) {
            rs.next();
            retainedTransactions += rs.getLong(1);
         }
         try (ResultSet rs = bytes.executeQuery()) {
            rs.next();
            retainedBytes += rs.getLong(1);
         }
      }
      tallyUpTo = upTo;
      final boolean overTx = retainedTransactions > cfg.maxLogTransactions();
      if (overTx || retainedBytes > cfg.maxLogBytes()) {
         to(State.STANDALONE, String.format(Locale.ROOT, "the primary kept %,d transactions (%s) of change log for the secondary's catchup, over %s;"
                                                         + " catchup is impossible: %s", retainedTransactions, bytes(retainedBytes),
                                            overTx ? "maxLogTransactions " + cfg.maxLogTransactions() : "maxLogSize " + bytes(cfg.maxLogBytes()),
                                            Standby.NEEDS_COPY));
      }
   }

   // ---- the one place the state changes ----

   /** Checks and records a transition (in the primary's rk_meta first), then makes it and logs it. */
   private synchronized void to(State next, String why) throws SQLException
   {
      final State from = primaryState;
      final boolean allowed = switch (next) {
         case PRIMARY_ACTIVE -> from == State.PRIMARY_ALONE;
         case PRIMARY_ALONE -> from == State.PRIMARY_ACTIVE || from == State.STANDALONE || from == State.PRIMARY_ALONE; // ALONE -> ALONE: a new copy
         case STANDALONE -> from == State.PRIMARY_ACTIVE || from == State.PRIMARY_ALONE;
         case SECONDARY_ACTIVE, SECONDARY_ALONE -> false; // the secondary's state follows the primary's
      };
      if (!allowed) {
         throw new IllegalStateException("HotStandby " + cfg.name() + ": no transition " + from + " -> " + next);
      }
      primary.setAutoCommit(false);
      try {
         LogMeta.put(primary, log, STATE, next.toString());
         LogMeta.put(primary, log, REASON, why.length() > 3900 ? why.substring(0, 3900) : why);
         if (next == State.STANDALONE) { // the log is no longer kept: truncation may pass the secondary, so no copy can catch up
            LogMeta.delete(primary, log, LogMeta.STANDBY_RECEIVED);
            LogMeta.delete(primary, log, COPY);
         }
         primary.commit();
      }
      catch (SQLException e) {
         primary.rollback();
         throw e;
      }
      finally {
         primary.setAutoCommit(true);
      }
      if (next == State.STANDALONE) {
         floor = -1;
         copyId = null;
      }
      if (from == State.PRIMARY_ACTIVE && next != State.PRIMARY_ACTIVE) {
         closeShipper(); // disconnected: the next connect opens the secondary and reads its position again
      }
      primaryState = next;
      secondaryState = next == State.PRIMARY_ACTIVE ? State.SECONDARY_ACTIVE : State.SECONDARY_ALONE;
      reason = why;
      if (from != next) {
         LOG.info("HotStandby {}: {} -> {} / {} ({})", cfg.name(), from, next, secondaryState, firstLine(why));
      }
      else {
         LOG.info("HotStandby {}: {} / {} ({})", cfg.name(), next, secondaryState, firstLine(why));
      }
   }

   // ---- operations (on the worker thread) ----

   String connect() throws SQLException, IOException
   {
      switch (primaryState) {
         case PRIMARY_ACTIVE -> throw new StandbyException("hotstandby connect: the pair is already PRIMARY ACTIVE / SECONDARY ACTIVE (connected);"
                                                           + " connect expects PRIMARY ALONE", false);
         case STANDALONE -> throw new StandbyException("hotstandby connect: the pair is STANDALONE (" + reason + "): the primary did not keep"
                                                       + " the transactions the secondary missed, so catchup is impossible and " + Standby.NEEDS_COPY
                                                       + ": run 'hotstandby netcopy' (or 'hotstandby copy'), then 'hotstandby connect'. Connect"
                                                       + " expects PRIMARY ALONE", true);
         default -> { }
      }
      final Shipper.Position pos = openSecondary("connect");
      final String impossible = catchupImpossible(pos);
      if (impossible != null) {
         throw new StandbyException("hotstandby connect: catchup is impossible: " + impossible + "; " + Standby.NEEDS_COPY
                                    + ": run 'hotstandby netcopy' (or 'hotstandby copy'). The pair stays PRIMARY ALONE", true);
      }
      final Estimate estimate = estimate(pos.seq());
      final StringBuilder answer = new StringBuilder();
      if (estimate.copyFaster()) {
         LOG.info("HotStandby {}: a full copy is estimated faster than catchup ({} s against {} s): netcopy", cfg.name(),
                  String.format(Locale.ROOT, "%.2f", estimate.copySeconds()), String.format(Locale.ROOT, "%.2f", estimate.catchupSeconds()));
         answer.append(fullCopy(null)).append('\n');
      }
      answer.append(catchupAndVerify());
      setFloor(shipper.position().seq()); // the log may now be truncated up to what the secondary has
      position = Math.max(position, shipper.position().seq());
      to(State.PRIMARY_ACTIVE, "connected: catchup done, the databases are identical");
      return "Connected: the pair is PRIMARY ACTIVE / SECONDARY ACTIVE.\n" + estimate.describe() + "\n" + answer;
   }

   /** Null when the primary holds every transaction the secondary misses; else why not. */
   private String catchupImpossible(Shipper.Position pos) throws SQLException
   {
      if (pos == null) {
         return "the secondary holds no copy of this primary (it is new, or its database was replaced or damaged: no rk_standby row for pair "
                + cfg.name() + ")";
      }
      if (copyId == null) {
         return "the primary was STANDALONE since the secondary last received (" + (reason == null ? "no log kept" : reason)
                + "), so it did not keep the transactions the secondary missed";
      }
      if (!pos.copyId().equals(copyId)) {
         return "the secondary holds copy " + pos.copyId() + ", but the primary keeps its log for copy " + copyId
                + " (the secondary was copied from another primary, or by an older copy)";
      }
      final long p = reader.position(primary);
      if (pos.seq() > p) {
         return "the secondary is at position " + pos.seq() + ", ahead of the primary's " + p + ": it holds transactions the primary does not";
      }
      final long truncated = reader.truncatedTo(primary);
      if (pos.seq() < truncated) {
         return "the primary's change log no longer holds transactions " + (pos.seq() + 1) + " to " + truncated + " (truncated)";
      }
      return null;
   }

   private Estimate estimate(long fromSeq) throws SQLException
   {
      long transactions;
      long records;
      try (PreparedStatement tx = primary.prepareStatement("SELECT COUNT(*) FROM " + log.table("rk_commit") + " WHERE seq > ?");
           PreparedStatement rec = primary.prepareStatement("SELECT COUNT(*) FROM " + log.table("rk_commit") + " m JOIN " + log.table("rk_change")
                                                            + " c ON c.tx = m.tx WHERE m.seq > ?")) {
         tx.setLong(1, fromSeq);
         rec.setLong(1, fromSeq);
         try (ResultSet rs = tx.executeQuery()) {
            rs.next();
            transactions = rs.getLong(1);
         }
         try (ResultSet rs = rec.executeQuery()) {
            rs.next();
            records = rs.getLong(1);
         }
      }
      final List<TableCopy.TableName> tables = existing(primary, captured(primary));
      long rows = 0;
      for (TableCopy.TableName t : tables) {
         rows += rowEstimate(t);
      }
      final double measuredApply = shipper.applyRate() > 0 ? shipper.applyRate() : savedApplyRate;
      final double copyRate = rate(COPY_RATE);
      final double tableSeconds = rate(TABLE_SECONDS);
      return new Estimate(transactions, records, measuredApply > 0 ? measuredApply : Estimate.DEFAULT_APPLY_RATE, measuredApply > 0, tables.size(), rows,
                          copyRate > 0 ? copyRate : Estimate.DEFAULT_COPY_RATE, copyRate > 0 ? tableSeconds : Estimate.DEFAULT_TABLE_SECONDS, copyRate > 0);
   }

   /** The catalog's row count estimate, or a count when the catalog has none. */
   private long rowEstimate(TableCopy.TableName t) throws SQLException
   {
      final Dialect d = log.dialect();
      final String sql = switch (d) {
         case POSTGRESQL -> "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(?)";
         case MARIADB -> "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?";
         case H2 -> "SELECT ROW_COUNT_ESTIMATE FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?";
      };
      try (PreparedStatement ps = primary.prepareStatement(sql)) {
         if (d == Dialect.POSTGRESQL) {
            ps.setString(1, d.qualified(t.schema(), t.name()));
         }
         else {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
         }
         try (ResultSet rs = ps.executeQuery()) {
            if (rs.next() && rs.getLong(1) >= 0 && !rs.wasNull()) {
               return rs.getLong(1);
            }
         }
      }
      try (PreparedStatement ps = primary.prepareStatement("SELECT COUNT(*) FROM " + d.qualified(t.schema(), t.name()));
           ResultSet rs = ps.executeQuery()) {
         rs.next();
         return rs.getLong(1); // PostgreSQL before its first ANALYZE
      }
   }

   /** Catchup while clients keep committing, then the comparison at one snapshot position. */
   private String catchupAndVerify() throws SQLException
   {
      final long start = System.currentTimeMillis();
      final long from = shipper.position().seq();
      long shipped = 0;
      activity = "catchup from position " + from;
      for (int n; (n = shipper.ship(primary, Long.MAX_VALUE, BATCH)) > 0; ) {
         shipped += n;
         activity = String.format(Locale.ROOT, "catchup from position %d: %,d transactions applied, at %d", from, shipped, shipper.position().seq());
         if (stopped) {
            throw new StandbyException("hotstandby connect: the replication server is stopping; the catchup stopped at position "
                                       + shipper.position().seq() + " and continues with the next connect", false);
         }
      }
      activity = "comparing the databases";
      try (Connection sc = ReplicationServer.connect(cfg.primary(), "primary (standby snapshot)", false);
           Connection probe = ReplicationServer.connect(cfg.primary(), "primary (standby probe)", false);
           Snapshot s = Snapshot.open(sc, log, probe, SNAPSHOT_TIMEOUT_MS)) {
         final long until = System.currentTimeMillis() + SNAPSHOT_TIMEOUT_MS;
         while (shipper.position().seq() < s.position()) { // exactly up to the snapshot's position: both sides then hold the same transactions
            final int n = shipper.ship(primary, s.position(), BATCH);
            shipped += n;
            if (n == 0 && System.currentTimeMillis() > until) {
               throw new SQLException("the secondary could not reach the snapshot's position " + s.position() + " (at " + shipper.position().seq() + ")", "55000");
            }
         }
         final List<String> tables = existing(s.connection(), s.capturedTables()).stream().map(TableCopy.TableName::name).toList();
         final Verify.Result r = new Verify(s.connection(), shipper.connection(), 1000).run(tables);
         shipper.endRead();
         final double seconds = (System.currentTimeMillis() - start) / 1000.0;
         if (shipper.applyRate() > 0) {
            saveApplyRate(shipper.applyRate());
         }
         if (!r.identical()) {
            LOG.warn("HotStandby {}: after catchup to position {} the secondary differs from the primary ({} differing keys)", cfg.name(), s.position(),
                     r.differingKeys().size());
            throw new StandbyException("hotstandby connect: HotStandby databases are not properly synchronized: after catchup to position " + s.position()
                                       + " the secondary differs from the primary:\n  " + String.join("\n  ", r.report())
                                       + "\nThe pair stays PRIMARY ALONE; " + Standby.NEEDS_COPY + ": run 'hotstandby netcopy'", true);
         }
         return String.format(Locale.ROOT, "Catchup: %,d transactions from position %d to %d in %.2f s; the databases are identical at position %d"
                                           + " (%d tables compared).", shipped, from, s.position(), seconds, s.position(), tables.size());
      }
   }

   /** A full copy to the secondary: through {@code dir} ('hotstandby copy'), or directly when null ('netcopy'). */
   String fullCopy(Path dir) throws SQLException, IOException
   {
      final String what = dir == null ? "netcopy" : "copy";
      if (primaryState == State.PRIMARY_ACTIVE) {
         throw new StandbyException("hotstandby " + what + ": the pair is PRIMARY ACTIVE / SECONDARY ACTIVE: a full copy overwrites the secondary,"
                                    + " which is connected; run 'hotstandby disconnect' first. A copy expects PRIMARY ALONE or STANDALONE", false);
      }
      openSecondary(what);
      final long start = System.currentTimeMillis();
      final boolean floorWasSet = floor >= 0;
      if (!floorWasSet) {
         setFloor(reader.position(primary)); // before the snapshot: the log must still hold the copy's position when the secondary connects
      }
      boolean done = false;
      try {
         shipper.invalidate(); // a copy that fails halfway leaves a secondary that needs one
         activity = what + ": starting";
         final CopyProgress progress = p -> activity = String.format(Locale.ROOT, "%s: table %s (%d of %d), %,d rows, %s at %,.0f rows/s", what, p.table(),
                                                                     p.tableIndex(), p.tables(), p.rows(), bytes(p.bytes()), p.rowsPerSecond());
         TableCopy.Result r;
         try (Connection sc = ReplicationServer.connect(cfg.primary(), "primary (standby snapshot)", false);
              Connection probe = ReplicationServer.connect(cfg.primary(), "primary (standby probe)", false);
              Snapshot s = Snapshot.open(sc, log, probe, SNAPSHOT_TIMEOUT_MS)) {
            final List<TableCopy.TableName> tables = existing(s.connection(), s.capturedTables());
            LOG.info("HotStandby {}: {} of {} tables at position {} to the secondary{}", cfg.name(), what, tables.size(), s.position(),
                     dir == null ? "" : " through " + dir);
            r = dir == null ? TableCopy.copy(s, tables, shipper.connection(), null, progress) : TableCopy.export(s, tables, dir, progress);
         }
         if (dir != null) {
            activity = "copy: loading " + dir + " into the secondary";
            r = TableCopy.load(dir, shipper.connection(), null, progress);
         }
         final String id = UUID.randomUUID().toString();
         shipper.copied(id, r.position());
         primary.setAutoCommit(false);
         try { // this copy is the one catchup continues from; the log is kept from its position
            LogMeta.put(primary, log, COPY, id);
            LogMeta.put(primary, log, LogMeta.STANDBY_RECEIVED, Long.toString(r.position()));
            if (r.rows() >= 1000) { // small copies measure overhead, not the rate
               LogMeta.put(primary, log, COPY_RATE, String.format(Locale.ROOT, "%.1f", r.rowsPerSecond()));
            }
            if (!r.tables().isEmpty()) {
               LogMeta.put(primary, log, TABLE_SECONDS, String.format(Locale.ROOT, "%.4f", r.ddlMillis() / 1000.0 / r.tables().size()));
            }
            primary.commit();
         }
         catch (SQLException e) {
            primary.rollback();
            throw e;
         }
         finally {
            primary.setAutoCommit(true);
         }
         copyId = id;
         floor = r.position();
         done = true;
         to(State.PRIMARY_ALONE, "full copy (" + what + ") at position " + r.position() + "; 'hotstandby connect' starts replication from there");
         final double seconds = (System.currentTimeMillis() - start) / 1000.0;
         return String.format(Locale.ROOT, "Full copy (%s%s) done: the secondary's %d tables were overwritten with the primary's data at position %d:"
                                           + " %,d rows (%s) in %.2f s (%,.0f rows/s). The pair is PRIMARY ALONE / SECONDARY ALONE; 'hotstandby connect'"
                                           + " starts replication from position %d.", what, dir == null ? "" : " through " + dir, r.tables().size(),
                              r.position(), r.rows(), bytes(r.bytes()), seconds, r.rowsPerSecond(), r.position());
      }
      finally {
         if (!done && !floorWasSet && primaryState == State.STANDALONE) {
            deleteFloor(); // a STANDALONE primary keeps no log
         }
      }
   }

   String disconnect(String command) throws SQLException
   {
      if (primaryState != State.PRIMARY_ACTIVE) {
         throw new StandbyException("hotstandby " + command + ": the pair is " + primaryState + " / " + secondaryState + " (not connected);"
                                    + " " + command + " expects PRIMARY ACTIVE", false);
      }
      if (shipper != null && shipper.position() != null) {
         setFloor(shipper.position().seq()); // the log is kept from exactly what the secondary has
      }
      to(State.PRIMARY_ALONE, "disconnected by 'hotstandby " + command + "'");
      return "The pair is PRIMARY ALONE / SECONDARY ALONE: the secondary is disconnected at position " + floor + "; the primary keeps its"
             + " transactions for catchup (up to " + cfg.maxLogTransactions() + " transactions, " + bytes(cfg.maxLogBytes()) + ").";
   }

   String setPrimaryAlone() throws SQLException
   {
      return switch (primaryState) {
         case PRIMARY_ACTIVE -> disconnect("set primary alone");
         case PRIMARY_ALONE -> "The pair is already PRIMARY ALONE / SECONDARY ALONE.";
         default -> {
            to(State.PRIMARY_ALONE, "set by 'hotstandby set primary alone' after STANDALONE: the secondary still needs a full copy");
            yield "The pair is PRIMARY ALONE / SECONDARY ALONE. The transactions committed while STANDALONE were not kept: "
                  + Standby.NEEDS_COPY + " ('hotstandby netcopy') before 'hotstandby connect'.";
         }
      };
   }

   String setStandalone() throws SQLException
   {
      if (primaryState == State.STANDALONE) {
         return "The pair is already STANDALONE.";
      }
      final State from = primaryState;
      to(State.STANDALONE, "set by 'hotstandby set standalone' (was " + from + ")");
      return "The pair is STANDALONE: the primary no longer keeps transactions for the secondary, so catchup is impossible; "
             + Standby.NEEDS_COPY + " ('hotstandby netcopy') to bring the secondary back.";
   }

   /** The answer of 'hotstandby state': the state on the first line, then what it rests on. */
   public String describe()
   {
      final StringBuilder sb = new StringBuilder().append(primaryState);
      if (!loaded) {
         sb.append("\nnot read from the primary yet").append(primaryProblem == null ? "" : ": " + primaryProblem);
         return sb.toString();
      }
      sb.append("\nsecondary: ").append(secondaryState);
      final Shipper s = shipper;
      if (s != null && s.position() != null) {
         sb.append(", at position ").append(s.position().seq());
      }
      if (secondaryProblem != null) {
         sb.append(", unreachable: ").append(secondaryProblem);
      }
      sb.append("\nprimary: position ").append(position);
      if (floor >= 0) {
         sb.append(", keeps its log for the secondary from position ").append(floor);
      }
      if (primaryState == State.PRIMARY_ALONE && floor >= 0) {
         sb.append(String.format(Locale.ROOT, ": %,d transactions, %s (limits %,d transactions, %s)", retainedTransactions, bytes(retainedBytes),
                                 cfg.maxLogTransactions(), bytes(cfg.maxLogBytes())));
      }
      if (primaryProblem != null) {
         sb.append(", unreachable: ").append(primaryProblem);
      }
      if (reason != null) {
         sb.append("\nwhy: ").append(reason);
      }
      final String a = activity;
      if (a != null) {
         sb.append("\nin progress: ").append(a);
      }
      if (lastResult != null) {
         sb.append("\nlast: ").append(lastResult);
      }
      return sb.toString();
   }

   // ---- helpers ----

   private Shipper shipper()
   {
      if (shipper == null) {
         shipper = new Shipper(cfg.secondary(), cfg.name(), log, cfg.site());
      }
      return shipper;
   }

   private Shipper.Position openSecondary(String command)
   {
      try {
         final Shipper.Position pos = shipper().open();
         secondaryProblem = null;
         return pos;
      }
      catch (SQLException e) {
         closeShipper();
         secondaryProblem = ReplicationServer.describe(e, "secondary");
         throw new StandbyException("hotstandby " + command + ": cannot reach the secondary: " + secondaryProblem + "; the pair stays " + primaryState, false);
      }
   }

   private void setFloor(long seq) throws SQLException
   {
      LogMeta.put(primary, log, LogMeta.STANDBY_RECEIVED, Long.toString(seq));
      floor = seq;
   }

   private void deleteFloor()
   {
      try {
         LogMeta.delete(primary, log, LogMeta.STANDBY_RECEIVED);
         floor = -1;
      }
      catch (SQLException e) {
         LOG.warn("HotStandby {}: cannot remove the log floor {} after a failed copy: {}", cfg.name(), floor, e.getMessage());
      }
   }

   private void saveApplyRate(double rate) throws SQLException
   {
      LogMeta.put(primary, log, APPLY_RATE, String.format(Locale.ROOT, "%.1f", rate));
      savedApplyRate = rate;
   }

   private double rate(String key) throws SQLException
   {
      final String v = LogMeta.get(primary, log, key);
      return v == null ? 0 : Double.parseDouble(v);
   }

   private List<TableCopy.TableName> captured(Connection c) throws SQLException
   {
      final List<TableCopy.TableName> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT schema_name, table_name FROM " + log.table("rk_table") + " ORDER BY schema_name, table_name");
           ResultSet rs = ps.executeQuery()) {
         while (rs.next()) {
            out.add(new TableCopy.TableName(rs.getString(1), rs.getString(2)));
         }
      }
      return out;
   }

   /** The registered tables that still exist (a dropped table may stay in the registry). */
   private List<TableCopy.TableName> existing(Connection c, List<TableCopy.TableName> tables) throws SQLException
   {
      final boolean mariadb = log.dialect() == Dialect.MARIADB;
      final List<TableCopy.TableName> out = new ArrayList<>();
      for (TableCopy.TableName t : tables) {
         try (ResultSet rs = c.getMetaData().getTables(mariadb ? t.schema() : null, mariadb ? null : t.schema(), t.name(), null)) {
            if (rs.next()) {
               out.add(t);
            }
         }
      }
      return out;
   }

   private boolean primaryValid()
   {
      try {
         return primary != null && primary.isValid(2);
      }
      catch (SQLException e) {
         return false;
      }
   }

   private boolean connectionLoss(Exception e)
   {
      if (e instanceof SQLRecoverableException || e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException) {
         return true;
      }
      if (e instanceof SQLException s && s.getSQLState() != null && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"))) {
         return true;
      }
      try {
         return shipper == null || shipper.connection() == null || !shipper.connection().isValid(2);
      }
      catch (SQLException x) {
         return true;
      }
   }

   private void closeShipper()
   {
      if (shipper != null) {
         shipper.close();
      }
   }

   private void closePrimary()
   {
      closeQuietly(primary);
      primary = null;
   }

   private static void closeQuietly(Connection c)
   {
      if (c != null) {
         try {
            c.close();
         }
         catch (SQLException ignored) {
            // closing a broken connection
         }
      }
   }

   static String bytes(long n)
   {
      if (n < 1024) {
         return n + " B";
      }
      if (n < 1024 * 1024) {
         return String.format(Locale.ROOT, "%.1f KB", n / 1024.0);
      }
      if (n < 1024L * 1024 * 1024) {
         return String.format(Locale.ROOT, "%.1f MB", n / 1024.0 / 1024);
      }
      return String.format(Locale.ROOT, "%.1f GB", n / 1024.0 / 1024 / 1024);
   }

   static String firstLine(String s)
   {
      if (s == null) {
         return "";
      }
      final int nl = s.indexOf('\n');
      return nl < 0 ? s : s.substring(0, nl) + " ...";
   }

   private static void sleep(long ms)
   {
      try {
         Thread.sleep(ms);
      }
      catch (InterruptedException e) {
         Thread.currentThread().interrupt();
      }
   }

   @Override
   public void close()
   {
      stopped = true; // no interrupt: it would close an embedded H2 database's file channel under the worker
      if (thread != null) {
         try {
            thread.join(10_000);
         }
         catch (InterruptedException e) {
            Thread.currentThread().interrupt();
         }
      }
   }
}
