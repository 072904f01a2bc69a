package org.replkit.core.changelog;

/**
 * Origin queue ID: the origin site and its commit sequence. Strictly increasing per origin, so it is
 * the key of duplicate detection: a transaction whose OQID is not above the last one seen from that
 * origin has been received before.
 */
public record Oqid(String site, long seq) implements Comparable<Oqid>
{
   public boolean isAfter(Oqid other)
   {
      return other == null || seq > other.seq;
   }

   @Override
   public int compareTo(Oqid o)
   {
      return Long.compare(seq, o.seq);
   }

   @Override
   public String toString()
   {
      return site + ':' + seq;
   }
}
