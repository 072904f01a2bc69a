package org.replkit.server;

import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.DumpMarker;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.Oqid;
import org.replkit.core.changelog.TableInfo;
import org.replkit.core.control.ControlDb;
import org.replkit.core.queue.Marker;
import org.replkit.core.queue.QueuedTransaction;
import org.replkit.core.queue.StableQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The log reader of one primary (the RepAgent): reads committed transactions in commit order from the
 * primary's change log, appends them to the stable queue, and truncates the primary's log up to what
 * the queue has secured (the truncation point).
 *
 * <p>States, and every transition (all made in {@link #to}):
 * <pre>
 *   DOWN      --start, primary reachable-------------------&gt; ACTIVE
 *   ACTIVE    --primary unreachable or reading fails--------&gt; DOWN (retried every second)
 *   ACTIVE    --'suspend log transfer from site'------------&gt; SUSPENDED
 *   DOWN      --'suspend log transfer from site'------------&gt; SUSPENDED
 *   SUSPENDED --'resume log transfer from site'-------------&gt; ACTIVE (DOWN again if the primary is unreachable)
 *   SUSPENDED --'resume resync' / sp_start_rep_agent db, 'resync [purge|init]'
 *                                                            -&gt; ACTIVE, after queueing the resync marker
 *   any       --server stop------------------------------------&gt; STOPPED (the control db keeps a suspension)
 * </pre>
 *
 * <p>Resync (seeds 000 and 002). The resync marker is queued by the command itself, before the state
 * becomes ACTIVE, so it is the first thing every connection of this primary receives after the restart.
 * Where reading resumes:
 * <pre>
 *   resync                      where it stopped; refused when the truncation point moved (the primary's
 *                               log no longer continues from there): 'ra_init force' first, or purge
 *   resync after ra_init force  where it stopped, or the primary's truncation point when the primary's log went
 *                               back (restored) or lost what was not read; duplicate detection restarts there
 *   resync purge                the same
 *   resync init                 the end of the primary's log now (primary and replicate were both
 *                               reloaded from one dump); connections suspend at the marker
 * </pre>
 * A dump marker requested with lr_dump_marker (kept in the primary's rk_meta) is queued right after
 * the transaction at its position, in the same append; a request for a position already passed is
 * refused in the log, never placed late.</p>
 * The position is the queue's last OQID from this origin, written atomically with each append, so it
 * survives restarts; re-reading after a crash is harmless because the queue drops duplicates. The log
 * is truncated only after {@link StableQueue#sync}: whatever a crash can take from the queue, the primary
 * still holds.
 */
final class LogReader implements Runnable
{
   enum State
   {
      DOWN,
      ACTIVE,
      SUSPENDED,
      STOPPED
   }

   private static final Logger LOG = LoggerFactory.getLogger(LogReader.class);
   private static final int BATCH = 500;
   private static final long TRUNCATE_EVERY_MS = 500;
   /** Commits whose records one truncation deletes at most. */
   private static final int TRUNCATE_SLICE = 1000;

   final ServerConfig.Site site;
   final Dialect dialect;
   private final StableQueue queue;
   private final ControlDb control;
   private volatile State state = State.DOWN;
   private volatile String error;
   private Connection primary;
   private ChangeLogReader reader;
   private final Map<String, TableInfo> tables = new HashMap<>();
   private volatile long truncated;
   private long lastTruncate;
   private long lastStatus;
   private volatile long queued;
   private volatile boolean reinitialized;
   /** Moves on every transition out of ACTIVE: a read turn appends only if none happened since it began. */
   private long generation;
   private volatile long caughtUpAt;
   private Thread thread;

   LogReader(ServerConfig.Site site, StableQueue queue, ControlDb control)
   {
      this.site = site;
      this.dialect = Dialect.fromUrl(ReplicationServer.realUrl(site.db().url()));
      this.queue = queue;
      this.control = control;
   }

   State state()
   {
      return state;
   }

   /** Transactions this reader appended to the queue since it started (duplicates not counted). */
   long queued()
   {
      return queued;
   }

   /** When a read last found nothing new (epoch ms): everything committed before then is queued. */
   long caughtUpAt()
   {
      return caughtUpAt;
   }

   /** The one place a state changes; logs and records every transition. */
   private synchronized boolean to(State next, String why)
   {
      final State from = state;
      final boolean allowed = switch (next) {
         case ACTIVE -> from == State.DOWN || from == State.SUSPENDED;
         case DOWN -> from == State.ACTIVE;
         case SUSPENDED -> from == State.ACTIVE || from == State.DOWN;
         case STOPPED -> true;
      };
      if (!allowed) {
         return false;
      }
      state = next;
      if (next != State.ACTIVE) {
         generation++; // a turn that read before this must not append after it (a resync marker may come next)
      }
      error = next == State.DOWN ? why : null;
      if (from != next) {
         LOG.info("RepAgent for {}: {} -> {}{}", site.name(), from, next, why == null ? "" : " (" + why + ")");
      }
      if (next != State.STOPPED || from != State.SUSPENDED) {
         status(true);
      }
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
      try {
         for (ControlDb.Site saved : control.sites()) {
            if (saved.name().equals(site.name()) && State.SUSPENDED.name().equals(saved.state())) {
               state = State.SUSPENDED; // a suspension survives restarts
               LOG.info("RepAgent for {} starts SUSPENDED as it was left", site.name());
            }
         }
      }
      catch (SQLException e) {
         throw new IllegalStateException("cannot read the state of site " + site.name() + " from the control database: " + e.getMessage(), e);
      }
      thread = new Thread(this, "replkit-repagent-" + site.name());
      thread.setDaemon(true);
      thread.start();
   }

   synchronized String suspend()
   {
      if (!to(State.SUSPENDED, "suspend command")) {
         throw new IllegalStateException("RepAgent for " + site.name() + " is " + state + ": nothing to suspend (it suspends an ACTIVE or DOWN log reader)");
      }
      return "Log transfer from " + site.name() + " is suspended.";
   }

   synchronized String resume()
   {
      if (state != State.SUSPENDED || !to(State.ACTIVE, "resume command")) {
         throw new IllegalStateException("RepAgent for " + site.name() + " is " + state + ": nothing to resume (it resumes a SUSPENDED log reader)");
      }
      return "Log transfer from " + site.name() + " is resumed.";
   }

   /**
    * {@code resume resync} / {@code sp_start_rep_agent db, 'resync [purge|init]'}: queues the resync marker,
    * then reads again. State errors throw IllegalStateException naming the state and what is expected.
    */
   synchronized String resumeResync(Marker.Mode mode) throws SQLException
   {
      if (state != State.SUSPENDED) {
         throw new IllegalStateException("RepAgent for " + site.name() + " is " + state + ": 'resume resync' restarts a suspended log reader;"
                                         + " run 'suspend log transfer from " + site.name() + "' first");
      }
      try (Connection c = ReplicationServer.connect(site.db(), "primary " + site.name())) {
         final ChangeLogSchema log = new ChangeLogSchema(dialect, ChangeLogSchema.defaultSchema(dialect, c));
         if (!log.isInstalled(c)) {
            throw new IllegalStateException("primary " + site.name() + " has no ReplKit change log (schema " + log.schema() + ")");
         }
         final ChangeLogReader r = new ChangeLogReader(log, site.name());
         final Oqid last = queue.lastReceived(site.name());
         final long received = last == null ? 0 : last.seq();
         final long end = r.position(c);
         final long truncation = r.truncationPoint(c);
         final boolean reset = mode != Marker.Mode.NONE || reinitialized;
         // the truncation point moved: the log went back (restored), lost what was not read, or holds at the received
         // sequence another transaction than the one received (restored, then written past it)
         final long receivedTx = queue.lastReceivedTx(site.name());
         final Long txThere = received > 0 && receivedTx >= 0 ? r.txAt(c, received) : null;
         final boolean moved = end < received || truncation > received + 1 || (received > 0 && receivedTx >= 0 && !Long.valueOf(receivedTx).equals(txThere));
         final long start;
         if (mode == Marker.Mode.INIT) {
            start = end;
         }
         else if (reset) {
            start = moved ? truncation : received; // re-reading what was received would apply it again at every other connection
         }
         else {
            if (moved) {
               throw new IllegalStateException("the truncation point of primary " + site.name() + " moved: its log holds sequences " + truncation + " to " + end
                                               + (end >= received ? " but not the transaction " + received + " the log reader received" : "")
                                               + "; the log reader stopped at " + received + ". Run 'ra_init force " + site.name() + "' and then"
                                               + " 'resume resync " + site.name() + "', or sp_start_rep_agent " + site.name() + ", 'resync purge'");
            }
            start = received;
         }
         final Long dump = DumpMarker.pending(c, log);
         if (dump != null && mode == Marker.Mode.INIT) {
            throw new IllegalStateException("a dump marker is pending at sequence " + dump + " on primary " + site.name() + ", but 'resync init'"
                                            + " expects none (primary and replicate reload the same dump): use 'resync' or 'resync purge'");
         }
         if (dump != null && dump < start) {
            throw new IllegalStateException("the dump marker at sequence " + dump + " is before sequence " + start + " where the log reader of "
                                            + site.name() + " resumes: the transactions between would be rejected yet missing from the dump."
                                            + " Request the dump marker again with the dump's position (lr_dump_marker) or take a new dump");
         }
         queue.append(List.of(Marker.resync(mode, reset, start).entry(site.name())));
         truncated = Math.min(truncated, start); // the sequence may have gone back: truncate again from there
      }
      reinitialized = false;
      to(State.ACTIVE, "resume resync" + (mode == Marker.Mode.NONE ? "" : " " + mode.name().toLowerCase(java.util.Locale.ROOT)));
      LOG.info("RepAgent for {}: Resync Database Marker sent{}", site.name(), mode == Marker.Mode.NONE ? "" : " (" + mode.name().toLowerCase(java.util.Locale.ROOT) + ")");
      return "RepAgent for " + site.name() + " resumed in resync mode" + (mode == Marker.Mode.NONE ? "" : " (" + mode.name().toLowerCase(java.util.Locale.ROOT) + ")")
             + ": the Resync Database Marker is queued for every connection from " + site.name() + ".";
   }

   /** {@code ra_init force}: the next 'resume resync' reads from the primary's truncation point and resets duplicate detection. */
   synchronized String raInitForce()
   {
      if (state != State.SUSPENDED) {
         throw new IllegalStateException("RepAgent for " + site.name() + " is " + state + ": 'ra_init force' reinitializes a suspended log reader;"
                                         + " run 'suspend log transfer from " + site.name() + "' first");
      }
      reinitialized = true;
      LOG.info("RepAgent for {}: repository reinitialized (ra_init force)", site.name());
      return "RepAgent for " + site.name() + ": repository reinitialized. 'resume resync' now resets duplicate detection and reads from the"
             + " primary's truncation point if its log moved (restored, or lost what was not read), else from where it stopped.";
   }

   void stop() throws InterruptedException
   {
      to(State.STOPPED, null);
      if (thread != null) {
         thread.join(10_000);
      }
      closePrimary();
   }

   @Override
   public void run()
   {
      while (state != State.STOPPED) {
         try {
            if (state == State.SUSPENDED) {
               closePrimary();
               Thread.sleep(100);
               continue;
            }
            if (primary == null) {
               connect();
               reconnected();
            }
            if (readOnce() == 0) {
               truncateIfDue(true);
               status(false);
               Thread.sleep(site.pollMillis());
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
            final String why = ReplicationServer.describe(e, "primary " + site.name());
            if (!why.equals(error)) { // once per reason, not once per retry
               LOG.warn("RepAgent for {}: {}", site.name(), why);
            }
            closePrimary();
            if (!to(State.DOWN, why)) {
               error = why; // already DOWN: keep the newest reason for status
               status(true);
            }
            sleepQuietly(1000); // then the next turn reconnects
         }
      }
   }

   private void connect() throws SQLException
   {
      primary = ReplicationServer.connect(site.db(), "primary " + site.name());
      primary.setAutoCommit(true);
      final ChangeLogSchema log = new ChangeLogSchema(dialect, ChangeLogSchema.defaultSchema(dialect, primary));
      if (!log.isInstalled(primary)) {
         throw new SQLException("primary " + site.name() + " has no ReplKit change log (schema " + log.schema() + "): the application must"
                                + " connect through jdbc:replkit: at least once before the server can read it", "42P01");
      }
      reader = new ChangeLogReader(log, site.name());
      tables.clear();
      // The truncation keeps the last secured commit row, so a primary behind the queue was restored or replaced:
      // its new transactions would reuse sequences the queue takes for duplicates. Never drop them silently.
      final Oqid last = queue.lastReceived(site.name());
      final long position = reader.position(primary);
      if (last != null && position < last.seq()) {
         throw new SQLException("the change log of primary " + site.name() + " is at sequence " + position + ", behind the " + last.seq()
                                + " the stable queue already received from it: the database was restored or replaced. Its new transactions"
                                + " would be dropped as duplicates, so the log reader waits: resynchronize the replicates from this primary"
                                + " and start the server on a new queue directory, or point the site at the right database", "55000");
      }
   }

   /** One read-append turn; returns the transactions read (a queued dump marker counts as one). */
   private int readOnce() throws SQLException
   {
      final long turn;
      synchronized (this) {
         turn = generation;
      }
      final Oqid last = queue.lastReceived(site.name());
      final long position = last == null ? 0 : last.seq();
      final Long dump = DumpMarker.pending(primary, reader.log());
      if (dump != null && dump <= position) {
         return dumpMarkerReached(dump, position, turn);
      }
      final long readStart = System.currentTimeMillis();
      final List<CommittedTransaction> txs = reader.read(primary, position, BATCH);
      if (txs.isEmpty()) {
         caughtUpAt = readStart;
         return 0;
      }
      Faults.point("reader.afterRead");
      final List<QueuedTransaction> out = new ArrayList<>(txs.size() + 1);
      boolean marked = false;
      for (CommittedTransaction tx : txs) {
         if (dump != null && !marked && tx.seq() > dump) {
            out.add(Marker.dump(dump).entry(site.name())); // right after the dump position, before anything above it
            marked = true;
         }
         final Map<String, TableInfo> used = new LinkedHashMap<>();
         for (Change ch : tx.changes()) {
            if (ch.op() == Change.Op.DDL) {
               tables.clear(); // the registry may have changed shape
            }
            else if (ch.table() != null && ch.op() != Change.Op.TRUNCATE) {
               final String k = ch.schema() + '\u0000' + ch.table();
               if (!used.containsKey(k)) {
                  used.put(k, table(ch.schema(), ch.table()));
               }
            }
         }
         // the origin is the configured site name: subscriptions and duplicate detection key on it
         out.add(new QueuedTransaction(0, new CommittedTransaction(new Oqid(site.name(), tx.seq()), tx.localTx(), tx.committedAt(), tx.changes()),
                                       List.copyOf(used.values())));
      }
      if (dump != null && !marked && txs.get(txs.size() - 1).seq() == dump) {
         out.add(Marker.dump(dump).entry(site.name()));
         marked = true;
      }
      synchronized (this) {
         if (state != State.ACTIVE || generation != turn) {
            return 0; // suspended meanwhile: a resync marker may be queued next, nothing read before it may follow it
         }
         queued += queue.append(out) - (marked ? 1 : 0);
      }
      Faults.point("reader.afterAppend");
      if (marked) {
         DumpMarker.sent(primary, reader.log(), dump);
         LOG.info("RepAgent for {}: Dump Marker at sequence {} sent", site.name(), dump);
      }
      truncateIfDue(false);
      status(false);
      return txs.size();
   }

   /** The log reader is at or past a requested dump position: queue the marker now, or refuse one that is too late. */
   private int dumpMarkerReached(long dump, long position, long turn) throws SQLException
   {
      if (dump == position && queue.lastDumpMarker(site.name()) < dump) {
         synchronized (this) {
            if (state != State.ACTIVE || generation != turn) {
               return 0;
            }
            queue.append(List.of(Marker.dump(dump).entry(site.name())));
         }
         LOG.info("RepAgent for {}: Dump Marker at sequence {} sent", site.name(), dump);
      }
      else if (queue.lastDumpMarker(site.name()) < dump) {
         error = "lr_dump_marker at sequence " + dump + " came after the log reader had passed it (at " + position + "): no dump marker was sent."
                 + " Suspend the log reader before taking the dump, then request the marker at the dump's position";
         LOG.warn("RepAgent for {}: {}", site.name(), error);
         status(true);
      }
      DumpMarker.sent(primary, reader.log(), dump); // queued now, queued before a crash, or refused: the request is done
      return 1;
   }

   private TableInfo table(String schema, String name) throws SQLException
   {
      final String k = schema + '\u0000' + name;
      TableInfo t = tables.get(k);
      if (t == null) {
         t = reader.log().registered(primary, schema, name);
         if (t == null) {
            throw new SQLException("table " + schema + "." + name + " is in the change log of " + site.name() + " but not in its table registry", "42P01");
         }
         tables.put(k, t);
      }
      return t;
   }

   /** Moves the truncation point: sync the queue, then delete from the primary what the queue secured. */
   private void truncateIfDue(boolean idle) throws SQLException
   {
      final long now = System.currentTimeMillis();
      final Oqid last = queue.lastReceived(site.name());
      if (last == null || last.seq() <= truncated || (!idle && now - lastTruncate < TRUNCATE_EVERY_MS)) {
         return;
      }
      queue.sync();
      // a long backlog goes in slices, one per turn, so reading is never held up long by deleting
      final ChangeLogReader.Truncation slice = reader.truncate(primary, last.seq(), TRUNCATE_SLICE);
      truncated = slice.more() ? slice.point() : last.seq();
      lastTruncate = slice.more() ? 0 : now; // more to delete: the next turn goes on
      Faults.point("reader.afterTruncate");
   }

   private void status(boolean force)
   {
      final long now = System.currentTimeMillis();
      if (!force && now - lastStatus < 250) {
         return;
      }
      lastStatus = now;
      try {
         final Oqid last = queue.lastReceived(site.name());
         control.siteState(site.name(), state.name(), last == null ? 0 : last.seq(), truncated, queued, error);
      }
      catch (SQLException | RuntimeException e) {
         // at shutdown an embedded AUTO_SERVER control database may already be closed by H2's own exit hook
         if (state != State.STOPPED) {
            LOG.warn("RepAgent for {}: cannot record its state in the control database: {}", site.name(), e.getMessage());
         }
      }
   }

   private void closePrimary()
   {
      if (primary != null) {
         try {
            primary.close();
         }
         catch (SQLException ignored) {
            // a broken connection is why we close it
         }
         primary = null;
      }
   }

   private static void sleepQuietly(long ms)
   {
      try {
         Thread.sleep(ms);
      }
      catch (InterruptedException e) {
         Thread.currentThread().interrupt();
      }
   }
}
