package org.replkit.server;

import org.replkit.core.apply.LastCommit;
import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.Oqid;
import org.replkit.core.control.ControlDb;
import org.replkit.core.queue.Marker;
import org.replkit.core.queue.QueuedTransaction;
import org.replkit.core.queue.StableQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A connection (the DSI) to one replicate, named {@code dataserver.database}: applies the queued
 * transactions of its origins in queue order, whole, grouping small ones into one replicate transaction,
 * and writes the last applied OQID per origin into {@code rs_lastcommit} in that same transaction. On
 * (re)start, entries whose OQID is not above rs_lastcommit are skipped, so a crash at any point neither
 * loses nor repeats a transaction; the queue cursor only spares re-reading.
 *
 * <p>States, and every transition (all made in {@link #to}):
 * <pre>
 *   DOWN               --start, replicate reachable-------------&gt; ACTIVE
 *   DOWN               --start, control db says suspended--------&gt; SUSPENDED / SUSPENDED_ON_ERROR (suspensions survive restarts)
 *   ACTIVE             --replicate unreachable-------------------&gt; DOWN (reconnects every second, then ACTIVE)
 *   ACTIVE, DOWN       --'suspend connection to ds.db'-----------&gt; SUSPENDED (after the group in flight commits)
 *   ACTIVE, SUSPENDED  --apply error-----------------------------&gt; SUSPENDED_ON_ERROR: the failing transaction (alone, after
 *                                                                   a failed group is retried one transaction at a time) and
 *                                                                   the database's error are recorded for 'replkit status'
 *   SUSPENDED, SUSPENDED_ON_ERROR --'resume connection to ds.db'--&gt; ACTIVE (the failing transaction is retried)
 *   SUSPENDED_ON_ERROR --'resume connection to ds.db skip transaction'--&gt; ACTIVE, skipping exactly the failing
 *                                                                   transaction: it goes to the exceptions log and its OQID into
 *                                                                   rs_lastcommit
 *   SUSPENDED, SUSPENDED_ON_ERROR --'resume connection to ds.db skip to resync marker'--&gt; SKIP_TO_RESYNC_MARKER
 *   SKIP_TO_RESYNC_MARKER --resync marker--------------------------&gt; WAIT_FOR_DUMP_MARKER
 *   WAIT_FOR_DUMP_MARKER  --dump marker----------------------------&gt; SUSPENDED ("Resume after database has been reloaded")
 *   ACTIVE, SKIP_TO_RESYNC_MARKER, WAIT_FOR_DUMP_MARKER --resync init marker--&gt; SUSPENDED
 *   SKIP_TO_RESYNC_MARKER, WAIT_FOR_DUMP_MARKER --'suspend connection to ds.db'--&gt; SUSPENDED (the resync is abandoned)
 *   ACTIVE, DOWN, SUSPENDED, SUSPENDED_ON_ERROR --ADD_MASTER_DATABASE of its site--&gt; HELD_FOR_INSTANTIATION (queued, not sent)
 *   HELD_FOR_INSTANTIATION --END_INSTANTIATION-----------------------&gt; ACTIVE (what was queued is delivered)
 *   any                --server stop------------------------------&gt; STOPPED (the control db keeps a suspension and a resync phase)
 * </pre>
 *
 * <p>Resync (seeds 000 and 002). While it skips to the resync marker the connection discards its queue;
 * from the resync marker to the dump marker it rejects committed transactions (counted, in 'replkit
 * status'). Neither phase touches the replicate, which is being reloaded meanwhile. The marker that ends
 * a phase moves the queue cursor at once, so a restart never sees it twice. When a connection suspends
 * at a dump marker (or a resync init marker) it remembers the origin's position the reloaded database
 * holds, and the resume writes that position into rs_lastcommit before applying anything: the
 * transactions after the marker are exactly those the dump lacks. A resync marker that resets
 * duplicate detection (purge, init, after ra_init force) sets rs_lastcommit at once on an ACTIVE
 * connection, since the origin's sequence restarts there.</p>
 */
final class Dsi implements Runnable
{
   enum State
   {
      DOWN,
      ACTIVE,
      SUSPENDED,
      SUSPENDED_ON_ERROR,
      SKIP_TO_RESYNC_MARKER,
      WAIT_FOR_DUMP_MARKER,
      HELD_FOR_INSTANTIATION,
      STOPPED
   }

   private static final Logger LOG = LoggerFactory.getLogger(Dsi.class);
   private static final int READ_AHEAD = 2000;
   private static final java.util.Set<String> SURVIVES_RESTART = java.util.Set.of(State.SUSPENDED.name(), State.SUSPENDED_ON_ERROR.name(),
                                                                                 State.SKIP_TO_RESYNC_MARKER.name(), State.WAIT_FOR_DUMP_MARKER.name(),
                                                                                 State.HELD_FOR_INSTANTIATION.name());

   final ServerConfig.Conn cfg;
   private final StableQueue queue;
   private final ControlDb control;
   private final Map<String, Dialect> originDialects;
   private volatile State state = State.DOWN;
   private volatile String error;
   private volatile Oqid failing;
   private volatile String failError;
   private volatile Oqid skip;
   /** After a dump (or resync init) marker: the origin and position the reloaded replicate holds, written on resume. */
   private volatile Oqid reloaded;
   private volatile long rejected;
   private Connection replicate;
   private Dialect dialect;
   private volatile TxApplier applier; // read by copiedRows() from other threads
   private String lastCommitTable;
   private PreparedStatement lastCommitStatement;
   private final Map<String, Long> lastCommit = new java.util.concurrent.ConcurrentHashMap<>();
   private final ArrayDeque<QueuedTransaction> buffer = new ArrayDeque<>();
   private volatile long cursor;
   private long readPos;
   private long savedCursor;
   private long lastCursorSave;
   private long lastStatus;
   private int transientRetries;
   private volatile long applied;
   private volatile long lagMs;
   private volatile Oqid lastApplied;
   private Thread thread;

   Dsi(ServerConfig.Conn cfg, StableQueue queue, ControlDb control, Map<String, Dialect> originDialects)
   {
      this.cfg = cfg;
      this.queue = queue;
      this.control = control;
      this.originDialects = originDialects;
   }

   State state()
   {
      return state;
   }

   /** Rows applied with COPY since the connection last started (PostgreSQL replicates). */
   long copiedRows()
   {
      final TxApplier a = applier;
      return a == null ? 0 : a.copiedRows();
   }

   long applied()
   {
      return applied;
   }

   long lagMs()
   {
      return lagMs;
   }

   /** The one place a state changes: checks the transition, logs it and records it in the control db. */
   private synchronized boolean to(State next, String why)
   {
      final State from = state;
      final boolean allowed = switch (next) {
         case ACTIVE -> from == State.DOWN || from == State.SUSPENDED || from == State.SUSPENDED_ON_ERROR || from == State.HELD_FOR_INSTANTIATION;
         case DOWN -> from == State.ACTIVE;
         case SUSPENDED -> from == State.ACTIVE || from == State.DOWN || from == State.SKIP_TO_RESYNC_MARKER || from == State.WAIT_FOR_DUMP_MARKER;
         case SUSPENDED_ON_ERROR -> from == State.ACTIVE || from == State.SUSPENDED;
         case SKIP_TO_RESYNC_MARKER -> from == State.SUSPENDED || from == State.SUSPENDED_ON_ERROR;
         case WAIT_FOR_DUMP_MARKER -> from == State.SKIP_TO_RESYNC_MARKER;
         case HELD_FOR_INSTANTIATION -> from == State.ACTIVE || from == State.DOWN || from == State.SUSPENDED || from == State.SUSPENDED_ON_ERROR;
         case STOPPED -> true;
      };
      if (!allowed) {
         return false;
      }
      if (next != State.STOPPED) {
         error = next == State.ACTIVE ? null : why;
      }
      if (next == State.ACTIVE && skip == null) {
         failing = null;
      }
      if (from != next) {
         LOG.info("DSI for {}: {} -> {}", cfg.name(), from, next);
      }
      if (next != State.STOPPED || from == State.ACTIVE || from == State.DOWN) {
         status(true, next); // recorded first: whoever sees the new state finds its reason in the control db
      }
      state = next;
      return true;
   }

   /** DOWN becomes ACTIVE once the database is reached again; a suspension stays. */
   private synchronized void reconnected()
   {
      if (state == State.DOWN) {
         to(State.ACTIVE, null);
      }
   }

   void start()
   {
      start(null);
   }

   /** Starts the apply thread; {@code holdFor}: the connection's master site is not instantiated yet (why). */
   void start(String holdFor)
   {
      try {
         final ControlDb.Conn saved = control.connection(cfg.name());
         if (saved != null && SURVIVES_RESTART.contains(saved.state())) {
            state = State.valueOf(saved.state());
            error = saved.error();
            failing = parse(saved.failing());
            failError = saved.error();
            rejected = saved.rejected();
            LOG.info("DSI for {} starts {} as it was left", cfg.name(), state);
         }
         if (saved != null) {
            reloaded = parse(saved.reloaded()); // a reload position not yet written to rs_lastcommit, whatever the state
         }
         if (holdFor != null && (state == State.DOWN || state == State.SUSPENDED || state == State.SUSPENDED_ON_ERROR)) {
            to(State.HELD_FOR_INSTANTIATION, holdFor);
         }
         else if (holdFor == null && state == State.HELD_FOR_INSTANTIATION) {
            state = State.DOWN; // its site was instantiated while the release was not recorded: deliver now
         }
         // the resync phases and a held connection read the queue without connecting: start from the saved cursor, which
         // also registers it, so the queue keeps what this connection has not applied
         cursor = queue.cursor(cfg.name());
         savedCursor = cursor;
         readPos = cursor;
      }
      catch (SQLException e) {
         throw new IllegalStateException("cannot read the state of connection " + cfg.name() + " from the control database: " + e.getMessage(), e);
      }
      thread = new Thread(this, "replkit-dsi-" + cfg.name());
      thread.setDaemon(true);
      thread.start();
   }

   /** The connection's master site is being instantiated: its changes queue, nothing is sent. */
   synchronized void hold(String why)
   {
      if (state != State.HELD_FOR_INSTANTIATION && !to(State.HELD_FOR_INSTANTIATION, why)) {
         throw new IllegalStateException("connection " + cfg.name() + " is " + state + ": it cannot be held for an instantiation now");
      }
   }

   /**
    * BEGIN_INSTANTIATION, the group quiesced and drained: every master holds everything queued so far, and so
    * will the export. The held connection starts after it; the queue keeps from here what it will deliver.
    */
   synchronized void startAt(long position)
   {
      if (state != State.HELD_FOR_INSTANTIATION) {
         throw new IllegalStateException("connection " + cfg.name() + " is " + state + ", not HELD_FOR_INSTANTIATION");
      }
      queue.saveCursor(cfg.name(), position);
      cursor = position;
      savedCursor = position;
      readPos = position;
      buffer.clear();
   }

   /** END_INSTANTIATION: deliver what was queued. */
   synchronized void release()
   {
      if (state == State.HELD_FOR_INSTANTIATION) {
         to(State.ACTIVE, null);
      }
   }

   /** The last sequence of {@code origin} applied at the replicate (as this connection knows it; 0 before connecting). */
   long lastCommitted(String origin)
   {
      return lastCommit.getOrDefault(origin, 0L);
   }

   /** Transactions queued for this connection and not yet applied. */
   long depth()
   {
      return queue.depthAfter(cursor, cfg.from());
   }

   synchronized String suspend()
   {
      final State from = state;
      if (from == State.HELD_FOR_INSTANTIATION) {
         throw new IllegalStateException("connection " + cfg.name() + " is HELD_FOR_INSTANTIATION: its site is being instantiated;"
                                         + " it is released by DBMS_OFFLINE_OG.END_INSTANTIATION");
      }
      if (!to(State.SUSPENDED, "suspended by command")) {
         throw new IllegalStateException("connection " + cfg.name() + " is " + from + ": 'suspend connection' applies to an ACTIVE or DOWN connection"
                                         + " (or one resynchronizing)");
      }
      return "Connection to " + cfg.name() + " is suspended." + (from == State.SKIP_TO_RESYNC_MARKER || from == State.WAIT_FOR_DUMP_MARKER
                                                                 ? " The resync was abandoned (it was " + from + ")." : "");
   }

   synchronized String resume(boolean skipTransaction)
   {
      if (skipTransaction) {
         if (state != State.SUSPENDED_ON_ERROR || failing == null) {
            throw new IllegalStateException("connection " + cfg.name() + " is " + state + " with no failing transaction: 'skip transaction' applies"
                                            + " to a connection SUSPENDED_ON_ERROR");
         }
         skip = failing;
         to(State.ACTIVE, null);
         return "Connection to " + cfg.name() + " is resumed; transaction " + skip + " will be skipped and written to the exceptions log.";
      }
      if ((state != State.SUSPENDED && state != State.SUSPENDED_ON_ERROR) || !to(State.ACTIVE, null)) {
         throw new IllegalStateException("connection " + cfg.name() + " is " + state + ": 'resume connection' applies to a SUSPENDED connection");
      }
      return "Connection to " + cfg.name() + " is resumed." + (reloaded == null ? "" : " It records the reloaded database at " + reloaded
                                                                                     + " and applies what followed the marker.");
   }

   /** 'resume connection to ds.db skip to resync marker' (seed 000 step 3). */
   synchronized String resumeSkipToResyncMarker()
   {
      if (state != State.SUSPENDED && state != State.SUSPENDED_ON_ERROR) {
         throw new IllegalStateException("connection " + cfg.name() + " is " + state + ": 'skip to resync marker' resumes a SUSPENDED connection;"
                                         + " run 'suspend connection to " + cfg.name() + "' first");
      }
      if (cfg.from().size() != 1) {
         throw new IllegalStateException("connection " + cfg.name() + " replicates from " + cfg.from() + ": a resync reloads the replicate from one"
                                         + " primary's dump, so 'skip to resync marker' needs a connection from one site");
      }
      reloaded = null;
      rejected = 0;
      failing = null;
      skip = null;
      to(State.SKIP_TO_RESYNC_MARKER, "skip to resync marker");
      return "Connection to " + cfg.name() + " discards its queue until the Resync Database Marker.";
   }

   void stop() throws InterruptedException
   {
      to(State.STOPPED, null);
      if (thread != null) {
         thread.join(10_000);
         if (!thread.isAlive()) {
            try {
               saveCursor(true); // spares the next start re-reading what rs_lastcommit already covers
            }
            catch (RuntimeException e) {
               LOG.warn("DSI for {}: cannot save its queue cursor: {}", cfg.name(), e.getMessage());
            }
         }
      }
      closeReplicate();
   }

   @Override
   public void run()
   {
      while (state != State.STOPPED) {
         try {
            if (state == State.SUSPENDED || state == State.SUSPENDED_ON_ERROR || state == State.HELD_FOR_INSTANTIATION) {
               closeReplicate(); // a suspended replicate may be reloaded or repaired meanwhile: hold nothing open in it
               status(false, state);
               Thread.sleep(100);
               continue;
            }
            if (state == State.SKIP_TO_RESYNC_MARKER || state == State.WAIT_FOR_DUMP_MARKER) {
               closeReplicate(); // the replicate is being reloaded: neither phase touches it
               final long seen = queue.appends();
               if (resyncOnce() == 0) {
                  saveCursor(false);
                  status(false, state);
                  queue.awaitAppend(seen, 100);
               }
               continue;
            }
            if (replicate == null) {
               connect();
               reconnected();
            }
            if (state == State.ACTIVE && reloaded != null) {
               recordReload();
               continue;
            }
            if (state != State.ACTIVE) {
               status(false, state);
               Thread.sleep(100);
               continue;
            }
            if (skip != null) {
               skipFailing();
               continue;
            }
            final long seen = queue.appends();
            if (applyOnce() == 0) {
               saveCursor(false);
               status(false, state);
               queue.awaitAppend(seen, 100); // woken by the next append; the timeout keeps status and commands fresh
            }
         }
         catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
         }
         catch (SQLException | RuntimeException e) {
            if (state == State.STOPPED) {
               return;
            }
            final String why = ReplicationServer.describe(e, "replicate " + cfg.name());
            if (!why.equals(error)) { // once per reason, not once per retry
               LOG.warn("DSI for {} is down: {}", cfg.name(), why);
            }
            closeReplicate();
            if (!to(State.DOWN, why)) {
               error = why;
               status(true, state);
            }
            sleep(1000);
         }
      }
   }

   private void connect() throws SQLException
   {
      replicate = ReplicationServer.connect(cfg.db(), "replicate " + cfg.name(), true);
      dialect = Dialect.of(replicate);
      try (Statement st = replicate.createStatement()) {
         st.execute(dialect.applySessionStatement()); // a captured replicate neither records nor refuses what we apply
         lastCommitTable = LastCommit.ensure(dialect, replicate); // before a configured schema changes the current one
         if (cfg.schema() != null) {
            try (ResultSet rs = dialect == Dialect.MARIADB ? replicate.getMetaData().getCatalogs() : replicate.getMetaData().getSchemas()) {
               boolean found = false;
               while (rs.next()) {
                  found |= rs.getString(1).equals(cfg.schema());
               }
               if (!found) {
                  throw new SQLException("schema " + cfg.schema() + " (connections." + cfg.name() + ".schema) does not exist at the replicate", "3F000");
               }
            }
            // replicated DDL names its tables unqualified: it must land in the configured schema too
            if (dialect == Dialect.MARIADB) {
               replicate.setCatalog(cfg.schema());
            }
            else {
               replicate.setSchema(cfg.schema());
            }
         }
         lastCommit.clear();
         try (ResultSet rs = st.executeQuery("SELECT origin, seq FROM " + lastCommitTable)) {
            while (rs.next()) {
               lastCommit.put(rs.getString(1), rs.getLong(2));
            }
         }
      }
      replicate.setAutoCommit(false);
      replicate.commit();
      applier = new TxApplier(replicate, dialect, cfg.schema());
      if (cfg.site() != null) {
         applier.detectConflicts(cfg.conflicts(), cfg.site()); // a master: its own writes may have changed the row
      }
      cursor = queue.cursor(cfg.name());
      savedCursor = cursor;
      readPos = cursor;
      buffer.clear();
   }

   /** Applies one group; returns the transactions applied (0: nothing to do). */
   private int applyOnce() throws SQLException
   {
      final List<QueuedTransaction> group = new ArrayList<>();
      int rows = 0;
      while (true) {
         if (buffer.isEmpty() && group.isEmpty()) {
            final List<QueuedTransaction> read = queue.read(readPos, cfg.from(), READ_AHEAD);
            buffer.addAll(read);
            if (!read.isEmpty()) {
               readPos = read.get(read.size() - 1).position();
            }
         }
         final QueuedTransaction q = buffer.peek();
         if (q == null) {
            break;
         }
         final Marker marker = Marker.of(q);
         if (marker != null) {
            if (!group.isEmpty()) {
               break; // everything before the marker commits first
            }
            buffer.poll();
            activeMarker(q, marker);
            return 1;
         }
         if (q.tx().seq() <= lastCommit.getOrDefault(q.tx().oqid().site(), 0L)) {
            buffer.poll(); // applied before a crash or a restart: rs_lastcommit says so
            if (group.isEmpty()) {
               cursor = q.position();
            }
            continue;
         }
         final boolean ddl = hasDdl(q);
         if (ddl && !group.isEmpty()) {
            break; // DDL commits implicitly on MariaDB and H2: it gets a replicate transaction of its own
         }
         group.add(buffer.poll());
         rows += q.rows();
         if (ddl || group.size() >= cfg.groupTransactions() || rows >= cfg.groupRows()) {
            break;
         }
      }
      if (group.isEmpty()) {
         return 0;
      }
      try {
         commitGroup(group);
         transientRetries = 0;
         return group.size();
      }
      catch (SQLException | RuntimeException e) {
         rollback();
         if (isConnectionLoss(e)) {
            throw e;
         }
         if (isTransient(e) && ++transientRetries <= 5) {
            // a deadlock or serialization failure with the replicate's own writers: the same group again shortly
            LOG.info("DSI for {}: transient failure ({}), retrying", cfg.name(), ((SQLException) e).getSQLState());
            buffer.clear();
            readPos = cursor;
            sleep(50L * transientRetries);
            return 0;
         }
         transientRetries = 0;
         // a failed group is retried one transaction at a time, to find (and apply everything before) the failing one
         for (QueuedTransaction q : group) {
            try {
               commitGroup(List.of(q));
            }
            catch (SQLException | RuntimeException single) {
               rollback();
               if (isConnectionLoss(single)) {
                  throw single;
               }
               fail(q, single);
               return 0;
            }
         }
         return group.size();
      }
   }

   private void commitGroup(List<QueuedTransaction> group) throws SQLException
   {
      final Map<String, QueuedTransaction> lastPerOrigin = new LinkedHashMap<>();
      for (QueuedTransaction q : group) {
         applier.apply(q, originDialects.get(q.tx().oqid().site()));
         lastPerOrigin.put(q.tx().oqid().site(), q);
      }
      applier.flush();
      Faults.point("dsi.afterApply");
      writeLastCommit(lastPerOrigin.values());
      Faults.point("dsi.beforeCommit");
      replicate.commit();
      Faults.point("dsi.afterCommit");
      final QueuedTransaction last = group.get(group.size() - 1);
      for (QueuedTransaction q : lastPerOrigin.values()) {
         lastCommit.put(q.tx().oqid().site(), q.tx().seq());
      }
      cursor = last.position();
      applied += group.size();
      lastApplied = last.tx().oqid();
      lagMs = Math.max(0, System.currentTimeMillis() - last.tx().committedAt().toEpochMilli());
      saveCursor(false);
      status(false, state);
   }

   private void writeLastCommit(Iterable<QueuedTransaction> last) throws SQLException
   {
      if (lastCommitStatement == null) {
         lastCommitStatement = replicate.prepareStatement(LastCommit.upsert(dialect, lastCommitTable));
      }
      final PreparedStatement ps = lastCommitStatement;
      ps.clearBatch(); // nothing left over from a failed group
      final Timestamp now = Timestamp.from(Instant.now());
      for (QueuedTransaction q : last) {
         ps.setString(1, q.tx().oqid().site());
         ps.setLong(2, q.tx().seq());
         ps.setTimestamp(3, Timestamp.from(q.tx().committedAt()));
         ps.setTimestamp(4, now);
         ps.addBatch();
      }
      ps.executeBatch();
   }


   /** One turn of a resync phase: discards (before the resync marker) or rejects (before the dump marker). */
   private int resyncOnce()
   {
      if (buffer.isEmpty()) {
         final List<QueuedTransaction> read = queue.read(readPos, cfg.from(), READ_AHEAD);
         buffer.addAll(read);
         if (!read.isEmpty()) {
            readPos = read.get(read.size() - 1).position();
         }
      }
      int n = 0;
      QueuedTransaction q;
      while ((state == State.SKIP_TO_RESYNC_MARKER || state == State.WAIT_FOR_DUMP_MARKER) && (q = buffer.poll()) != null) {
         n++;
         cursor = q.position();
         final Marker m = Marker.of(q);
         if (m == null) {
            if (state == State.WAIT_FOR_DUMP_MARKER) {
               rejected++; // in the dump the replicate is about to receive
            }
            continue;
         }
         final String origin = q.tx().oqid().site();
         if (m.kind() == Marker.Kind.RESYNC && m.mode() == Marker.Mode.INIT) {
            suspendReloaded(new Oqid(origin, m.position()), "DSI for " + cfg.name() + " received and processed Resync Database Marker. DSI is now"
                                                            + " suspended. Resume after database has been reloaded.");
         }
         else if (m.kind() == Marker.Kind.RESYNC) {
            if (state == State.SKIP_TO_RESYNC_MARKER) {
               LOG.info("DSI for {} received and processed Resync Database Marker. Waiting for Dump Marker.", cfg.name());
               to(State.WAIT_FOR_DUMP_MARKER, "received the Resync Database Marker from " + origin + "; rejecting committed transactions until the Dump Marker");
            }
            else {
               LOG.info("DSI for {} received another Resync Database Marker from {}: still waiting for the Dump Marker", cfg.name(), origin);
            }
         }
         else if (state == State.WAIT_FOR_DUMP_MARKER) {
            suspendReloaded(new Oqid(origin, m.position()), "DSI for " + cfg.name() + " received and processed Dump Marker. DSI is now suspended."
                                                            + " Resume after database has been reloaded.");
         }
         saveCursor(true); // a marker that ended a phase is never seen twice
      }
      if (n > 0) {
         saveCursor(false);
         status(false, state);
      }
      return n;
   }

   private void suspendReloaded(Oqid at, String line)
   {
      reloaded = at;
      LOG.info(line);
      to(State.SUSPENDED, line);
   }

   /** A marker reaching an ACTIVE connection: a resync init suspends it, a reset restarts its duplicate detection. */
   private void activeMarker(QueuedTransaction q, Marker m) throws SQLException
   {
      final Oqid at = new Oqid(q.tx().oqid().site(), m.position());
      cursor = q.position();
      if (m.kind() == Marker.Kind.RESYNC && m.mode() == Marker.Mode.INIT) {
         suspendReloaded(at, "DSI for " + cfg.name() + " received and processed Resync Database Marker. DSI is now suspended. Resume after database"
                             + " has been reloaded.");
         saveCursor(true); // after the suspension is recorded: a crash between the two sees the marker again, never skips it
         return;
      }
      if (m.kind() == Marker.Kind.RESYNC && m.reset()) {
         writeLastCommit(at);
         LOG.warn("DSI for {} received a Resync Database Marker that resets duplicate detection for {} at {} while not resynchronizing:"
                  + " resynchronize this replicate too ('skip to resync marker') if it may differ", cfg.name(), at.site(), at.seq());
      }
      else {
         LOG.info("DSI for {} received a {} from {} while not waiting for one (resume with 'skip to resync marker' to resynchronize): ignored",
                  cfg.name(), m.title(), at.site());
      }
      saveCursor(true);
   }

   /** The first thing after resuming a connection suspended at a marker: rs_lastcommit takes what the reloaded database holds. */
   private void recordReload() throws SQLException
   {
      final Oqid at = reloaded;
      writeLastCommit(at);
      reloaded = null;
      LOG.info("DSI for {}: the reloaded replicate holds {} up to {}; applying what followed", cfg.name(), at.site(), at.seq());
      status(true, state);
   }

   private void writeLastCommit(Oqid at) throws SQLException
   {
      final Timestamp now = Timestamp.from(Instant.now());
      writeLastCommit(List.of(new QueuedTransaction(0, new org.replkit.core.changelog.CommittedTransaction(at, 0, now.toInstant(), List.of()), List.of())));
      replicate.commit();
      lastCommit.put(at.site(), at.seq());
   }

   /** Skips exactly the failing transaction: exceptions log first, then its OQID into rs_lastcommit. */
   private void skipFailing() throws SQLException
   {
      final Oqid target = skip;
      QueuedTransaction q;
      while (true) {
         if (buffer.isEmpty()) {
            final List<QueuedTransaction> read = queue.read(readPos, cfg.from(), READ_AHEAD);
            buffer.addAll(read);
            if (!read.isEmpty()) {
               readPos = read.get(read.size() - 1).position();
            }
         }
         q = buffer.peek();
         if (q == null || q.tx().seq() > lastCommit.getOrDefault(q.tx().oqid().site(), 0L)) {
            break;
         }
         buffer.poll();
      }
      if (q == null || !q.tx().oqid().equals(target)) {
         skip = null;
         to(State.SUSPENDED_ON_ERROR, "cannot skip transaction " + target + ": the next transaction to apply is "
                                      + (q == null ? "none" : q.tx().oqid()) + "; nothing was skipped");
         return;
      }
      control.logException(cfg.name(), target, q.tx().committedAt(), failError == null ? "skipped by command" : failError, describe(q));
      writeLastCommit(List.of(q));
      replicate.commit();
      buffer.poll();
      lastCommit.put(target.site(), target.seq());
      cursor = q.position();
      skip = null;
      failing = null;
      error = null;
      LOG.info("DSI for {} skipped transaction {} (recorded in the exceptions log)", cfg.name(), target);
      status(true, state);
   }

   private void fail(QueuedTransaction q, Exception e)
   {
      buffer.clear();
      readPos = cursor; // re-read from what is secured when resumed
      final String why = "transaction " + q.tx().oqid() + " failed: " + ReplicationServer.describe(e, "replicate " + cfg.name())
                         + hint(e) + " -- fix the replicate and 'resume connection to " + cfg.name() + "', or 'resume connection to "
                         + cfg.name() + " skip transaction' to skip it into the exceptions log";
      failing = q.tx().oqid();
      failError = why;
      LOG.warn("DSI for {} suspended: transaction {} failed ({})", cfg.name(), q.tx().oqid(),
               e instanceof SQLException s ? "SQLState " + s.getSQLState() : e.getClass().getSimpleName());
      to(State.SUSPENDED_ON_ERROR, why);
   }

   private static String hint(Exception e)
   {
      final String st = e instanceof SQLException s && s.getSQLState() != null ? s.getSQLState() : "";
      if (st.equals("42P01") || st.equals("42S02") || st.equals("42102")) {
         return " (a table is missing at the replicate: create it there, or replicate its CREATE TABLE)";
      }
      if (st.equals("42703") || st.equals("42S22") || st.equals("42122")) {
         return " (a column is missing at the replicate: add it there)";
      }
      return "";
   }

   private static String describe(QueuedTransaction q)
   {
      final StringBuilder sb = new StringBuilder();
      sb.append("transaction ").append(q.tx().oqid()).append(" committed at ").append(q.tx().committedAt()).append('\n');
      for (Change c : q.tx().changes()) {
         sb.append(c.op()).append(' ').append(c.schema()).append('.').append(c.table());
         if (c.before() != null) {
            sb.append(" before=").append(c.before());
         }
         if (c.after() != null) {
            sb.append(" after=").append(c.after());
         }
         if (c.stmt() != null) {
            sb.append(" stmt=").append(c.stmt());
         }
         sb.append('\n');
      }
      return sb.toString();
   }

   private static boolean hasDdl(QueuedTransaction q)
   {
      for (Change c : q.tx().changes()) {
         if (c.op() == Change.Op.DDL) {
            return true;
         }
      }
      return false;
   }

   /** Deadlock or serialization failure (class 40, but not ReplKit's own 40R01 "the replicate differs"). */
   private static boolean isTransient(Exception e)
   {
      return e instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("40") && !s.getSQLState().equals("40R01");
   }

   private boolean isConnectionLoss(Exception e)
   {
      if (e instanceof SQLRecoverableException || e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException) {
         return true;
      }
      if (e instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("08")) {
         return true;
      }
      try {
         return replicate == null || !replicate.isValid(2);
      }
      catch (SQLException x) {
         return true;
      }
   }

   private void rollback()
   {
      if (applier != null) {
         applier.discard();
      }
      try {
         if (replicate != null) {
            replicate.rollback();
         }
      }
      catch (SQLException ignored) {
         // a lost connection rolls back by itself
      }
   }

   private void saveCursor(boolean force)
   {
      final long now = System.currentTimeMillis();
      if (cursor != savedCursor && (force || now - lastCursorSave > 500)) {
         queue.saveCursor(cfg.name(), cursor);
         savedCursor = cursor;
         lastCursorSave = now;
      }
   }

   /** The queue depth last counted, and when to count it again (see status). */
   private long countedDepth;
   private long nextDepthAt;

   private void status(boolean force, State shown)
   {
      final long now = System.currentTimeMillis();
      if (!force && now - lastStatus < 250) {
         return;
      }
      lastStatus = now;
      try {
         // counting the queue is O(depth): with a deep backlog it is refreshed less often, at most ~5% of the time
         if (force || now >= nextDepthAt) {
            final long t0 = System.nanoTime();
            countedDepth = queue.depthAfter(cursor, cfg.from());
            nextDepthAt = now + Math.max(250, 20 * (System.nanoTime() - t0) / 1_000_000);
         }
         control.connectionState(cfg.name(), shown.name(), lastApplied, applied, countedDepth == 0 ? 0 : lagMs, countedDepth, cursor, failing, error, rejected, reloaded);
      }
      catch (SQLException | RuntimeException e) {
         // at shutdown an embedded AUTO_SERVER control database may already be closed by H2's own exit hook
         if (state != State.STOPPED) {
            LOG.warn("DSI for {}: cannot record its state in the control database: {}", cfg.name(), e.getMessage());
         }
      }
   }

   private void closeReplicate()
   {
      lastCommitStatement = null; // closed with its connection
      if (applier != null) {
         applier.close();
         applier = null;
      }
      if (replicate != null) {
         try {
            replicate.close();
         }
         catch (SQLException ignored) {
            // closing a broken connection
         }
         replicate = null;
      }
   }

   private static Oqid parse(String oqid)
   {
      if (oqid == null) {
         return null;
      }
      final int colon = oqid.lastIndexOf(':');
      return new Oqid(oqid.substring(0, colon), Long.parseLong(oqid.substring(colon + 1)));
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
}
