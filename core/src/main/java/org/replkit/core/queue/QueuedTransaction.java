package org.replkit.core.queue;

import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.TableInfo;

import java.util.List;

/**
 * A transaction in the stable queue: its position (assigned by the queue, 0 before append), the
 * transaction, and the descriptions of the tables it touches as the primary registered them when it was
 * read. Carrying the table descriptions with each transaction keeps the queue self-contained: a
 * connection can apply an old transaction after the primary's registry moved on (ALTER TABLE).
 */
public record QueuedTransaction(long position, CommittedTransaction tx, List<TableInfo> tables)
{
   public TableInfo table(String schema, String name)
   {
      for (TableInfo t : tables) {
         if (t.name().equals(name) && (schema == null ? t.schema() == null : schema.equals(t.schema()))) {
            return t;
         }
      }
      return null;
   }

   public int rows()
   {
      return tx.changes().size();
   }
}
