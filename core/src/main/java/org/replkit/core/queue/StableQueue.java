package org.replkit.core.queue;

import org.replkit.core.changelog.Oqid;

import java.util.List;
import java.util.Set;

/**
 * The replication server's stable queue: committed transactions from every primary, in the order they
 * were appended, durable, with one read cursor per replicate connection.
 *
 * <p>Duplicate detection lives here because it must be atomic with the append: a transaction whose OQID
 * is not above the last one received from its origin was received before (a log reader that restarted
 * from an older position, a primary re-read after a crash) and is dropped.
 *
 * <p>Cursors are an optimization for purging, not the exactly-once guarantee: that is the replicate's
 * rs_lastcommit row. A cursor may lag what the replicate has applied; never lead it.
 */
public interface StableQueue extends AutoCloseable
{
   /**
    * Appends in order; returns how many were appended (duplicates dropped). On return the entries survive
    * a crash of this process; {@link #sync} makes them survive a crash of the machine.
    */
   int append(List<QueuedTransaction> txs);

   /**
    * The position of the last dump marker queued for an origin (-1 when none). A dump marker at or below it
    * is dropped by {@link #append}: the log reader re-sends one when it crashed before clearing the request.
    * A resync marker starts a new cycle and forgets it.
    * A {@link Marker} with {@code reset} restarts the origin's duplicate detection at the marker's position,
    * atomically with its append.
    */
   long lastDumpMarker(String origin);

   /** The position of the newest entry (0 when none): a connection given this cursor receives only what comes after. */
   long endPosition();

   /** The primary's own transaction id of the last transaction received from an origin (-1 when unknown). */
   long lastReceivedTx(String origin);

   /** The last OQID received from an origin, or null: where that origin's log reader resumes. */
   Oqid lastReceived(String origin);

   /** Forces everything appended to stable storage: only then may a primary's log be truncated. */
   void sync();

   /** Up to {@code max} entries after {@code afterPosition} whose origin is in {@code origins}, in order. */
   List<QueuedTransaction> read(long afterPosition, Set<String> origins, int max);

   /** A consumer's cursor: the position up to which it has secured everything (0 when new). */
   long cursor(String consumer);

   void saveCursor(String consumer, long position);

   /** Deletes entries every registered cursor has passed; returns how many. */
   int purge();

   /** Entries after a position (for status: queue depth). */
   long depthAfter(long position, Set<String> origins);

   /** A counter that moves with every append that added something: read it before reading the queue. */
   long appends();

   /**
    * Waits until the append counter differs from {@code seen} or the timeout passes: a connection that
    * found nothing new sleeps here instead of polling, and wakes as soon as a log reader appends.
    */
   void awaitAppend(long seen, long timeoutMillis) throws InterruptedException;

   /** Forgets an origin's duplicate-detection state (a resync purge: the origin's sequence restarts). */
   void resetOrigin(String origin);

   @Override
   void close();
}
