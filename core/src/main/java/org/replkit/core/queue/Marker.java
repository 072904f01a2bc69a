package org.replkit.core.queue;

import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Oqid;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * A resync or dump marker (seeds 000 and 002). Markers travel in the stable queue as one-record
 * transactions of their origin, so their place among the transactions is exact: a dump marker sits right
 * after the transaction at its position, a resync marker before everything the log reader sends after
 * its restart in resync mode.
 *
 * @param kind     RESYNC or DUMP
 * @param mode     for RESYNC: NONE, PURGE or INIT ({@code sp_start_rep_agent db, 'resync [purge|init]'})
 * @param reset    duplicate detection restarts for the origin (purge, init, or after {@code ra_init force}):
 *                 connections take {@code position} as the origin's last commit
 * @param position the origin's commit sequence the marker follows
 */
public record Marker(Kind kind, Mode mode, boolean reset, long position)
{
   public enum Kind
   {
      RESYNC,
      DUMP
   }

   public enum Mode
   {
      NONE,
      PURGE,
      INIT
   }

   public static Marker resync(Mode mode, boolean reset, long position)
   {
      return new Marker(Kind.RESYNC, mode, reset || mode != Mode.NONE, position);
   }

   public static Marker dump(long position)
   {
      return new Marker(Kind.DUMP, Mode.NONE, false, position);
   }

   /** The queue entry carrying this marker for {@code origin}. */
   public QueuedTransaction entry(String origin)
   {
      final String text = kind + " " + mode + (reset ? " RESET" : "");
      return new QueuedTransaction(0, new CommittedTransaction(new Oqid(origin, position), 0, Instant.now(),
                                                               List.of(new Change(Change.Op.MARKER, null, null, null, null, text))), List.of());
   }

   /** The marker a queue entry carries, or null for an ordinary transaction. */
   public static Marker of(QueuedTransaction q)
   {
      final List<Change> changes = q.tx().changes();
      if (changes.size() != 1 || changes.get(0).op() != Change.Op.MARKER) {
         return null;
      }
      final String[] w = changes.get(0).stmt().split(" ");
      return new Marker(Kind.valueOf(w[0]), Mode.valueOf(w[1]), w.length > 2 && w[2].equals("RESET"), q.tx().seq());
   }

   /** The seed's name: "Resync Database Marker" or "Dump Marker". */
   public String title()
   {
      return kind == Kind.RESYNC ? "Resync Database Marker" + (mode == Mode.NONE ? "" : " (" + mode.name().toLowerCase(Locale.ROOT) + ")") : "Dump Marker";
   }
}
