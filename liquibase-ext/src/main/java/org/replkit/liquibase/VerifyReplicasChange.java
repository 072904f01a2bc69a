package org.replkit.liquibase;

import java.sql.Connection;
import java.util.List;

import liquibase.change.Change;
import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;
import liquibase.database.Database;
import liquibase.statement.SqlStatement;

import org.replkit.core.verify.Verify;

/**
 * {@code replkit verify} as a change: compares tables of two databases in this process (through their real
 * drivers) and fails the changeset when they differ, listing the differing keys. Reads only, so its rollback
 * is to do nothing.
 */
@DatabaseChange(name = "verifyReplicas", description = "Fail unless the target's tables are identical to the source's (replkit verify)", priority = ChangeMetaData.PRIORITY_DEFAULT)
public final class VerifyReplicasChange extends ReplKitChange
{
   static final int CHUNK = 1000;

   private String sourceUrl;
   private String targetUrl;
   private String tables;
   private String chunkSize;

   @DatabaseChangeProperty(description = "JDBC URL of the source (primary)", exampleValue = "jdbc:postgresql://pdb/db", requiredForDatabase = "all")
   public String getSourceUrl()
   {
      return sourceUrl;
   }

   public void setSourceUrl(String v)
   {
      sourceUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "JDBC URL of the target (replicate)", exampleValue = "jdbc:mariadb://rep/db", requiredForDatabase = "all")
   public String getTargetUrl()
   {
      return targetUrl;
   }

   public void setTargetUrl(String v)
   {
      targetUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "Tables to compare, comma-separated; default every table of the source's schema", exampleValue = "accounts,orders")
   public String getTables()
   {
      return tables;
   }

   public void setTables(String v)
   {
      tables = trim(v);
   }

   @DatabaseChangeProperty(description = "Rows per checksum chunk; default 1000", exampleValue = "5000")
   public String getChunkSize()
   {
      return chunkSize;
   }

   public void setChunkSize(String v)
   {
      chunkSize = orAbsent(v, Integer.toString(CHUNK));
   }

   @Override
   protected void check(List<String> problems)
   {
      add(problems, Jdbc.urlProblem("sourceUrl", sourceUrl, false));
      add(problems, Jdbc.urlProblem("targetUrl", targetUrl, false));
      add(problems, Jdbc.tablesProblem("tables", tables));
      number(problems, "chunkSize", chunkSize, 1, 10_000_000);
   }

   private String preview()
   {
      final List<String> list = Jdbc.tables(tables);
      return "-- verifyReplicas: compare " + (list.isEmpty() ? "every table" : "tables " + String.join(", ", list)) + " of "
             + Jdbc.redact(targetUrl) + " with " + Jdbc.redact(sourceUrl) + " (in-process; fails the changeset when they differ)";
   }

   @Override
   protected SqlStatement[] statements(Database database)
   {
      if (dryRun(database)) {
         return new SqlStatement[]{new ReplKitStatements.Text(preview())};
      }
      return new SqlStatement[]{new ReplKitStatements.Task(preview(), database, liquibase -> run())};
   }

   /** Throws naming every differing key when the target is not identical to the source. */
   void run() throws Exception
   {
      final int chunk = chunkSize == null ? CHUNK : Integer.parseInt(chunkSize);
      try (Connection s = Jdbc.open(Jdbc.real(sourceUrl), "the source"); Connection t = Jdbc.open(Jdbc.real(targetUrl), "the target")) {
         final Verify.Result r = new Verify(s, t, chunk).run(Jdbc.tables(tables));
         r.report().forEach(CompositeChange::show);
         if (!r.identical()) {
            throw new IllegalStateException("verifyReplicas: " + Jdbc.redact(targetUrl) + " differs from " + Jdbc.redact(sourceUrl) + ": "
                                            + String.join("; ", r.differingKeys()));
         }
      }
   }

   /** Comparing changes nothing, so rolling it back is doing nothing. */
   @Override
   protected Change[] createInverses()
   {
      return new Change[0];
   }

   @Override
   protected String noRollback()
   {
      return null;
   }

   @Override
   public String getConfirmationMessage()
   {
      return "verifyReplicas: " + Jdbc.redact(targetUrl) + " is identical to " + Jdbc.redact(sourceUrl);
   }
}
