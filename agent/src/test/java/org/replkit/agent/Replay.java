package org.replkit.agent;

import org.replkit.core.apply.RowApplier;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Test helper: replays a primary's change log into another database, one replicate transaction per transaction. */
final class Replay implements AutoCloseable
{
   final ChangeLogReader reader;
   private final Connection primary;
   private final Connection replica;
   private final RowApplier applier;
   long position;
   long transactions;

   Replay(Connection primary, Connection replica) throws SQLException
   {
      this(primary, replica, s -> null);
   }

   /** {@code schemaMap}: source schema to replica schema (null: the replica's current schema). */
   Replay(Connection primary, Connection replica, java.util.function.UnaryOperator<String> schemaMap) throws SQLException
   {
      final Dialect d = Dialect.of(primary);
      this.primary = primary;
      this.replica = replica;
      this.reader = new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, primary)), "test");
      this.applier = new RowApplier(replica, Dialect.of(replica), schemaMap);
      primary.setAutoCommit(true);
      replica.setAutoCommit(false);
      final Dialect rd = Dialect.of(replica);
      try (Statement st = replica.createStatement()) {
         // the replica may itself be captured (a second ReplKit database): applied changes are not captured again
         st.execute(rd.applySessionStatement());
      }
   }

   /** Applies everything committed so far; returns the transactions applied. */
   int drain() throws SQLException
   {
      int n = 0;
      while (true) {
         final List<CommittedTransaction> batch = reader.read(primary, position, 500);
         if (batch.isEmpty()) {
            return n;
         }
         for (CommittedTransaction tx : batch) {
            if (tx.seq() <= position) {
               throw new AssertionError("sequence went backwards: " + tx.seq() + " after " + position);
            }
            applier.apply(tx.changes(), (s, t) -> reader.table(primary, s, t));
            replica.commit();
            position = tx.seq();
            n++;
            transactions++;
         }
      }
   }

   @Override
   public void close() throws SQLException
   {
      applier.closeStatements();
   }
}
