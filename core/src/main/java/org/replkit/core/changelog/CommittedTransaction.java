package org.replkit.core.changelog;

import java.time.Instant;
import java.util.List;

/** A transaction as the change log holds it after commit: its OQID, its local id, and its records in order. */
public record CommittedTransaction(Oqid oqid, long localTx, Instant committedAt, List<Change> changes)
{
   public long seq()
   {
      return oqid.seq();
   }
}
