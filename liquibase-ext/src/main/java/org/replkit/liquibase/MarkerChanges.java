package org.replkit.liquibase;

import java.util.List;

import liquibase.change.Change;
import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;
import liquibase.database.Database;
import liquibase.statement.SqlStatement;

/**
 * The marker procedures and replication-server commands of seeds 000 and 002, one change type each. Each sends
 * one {@link ReplKitSql} text over the Liquibase connection, which must be a {@code jdbc:replkit:} URL: the
 * ReplKit driver runs the procedure or hands the command to the replication server.
 */
public final class MarkerChanges
{
   private MarkerChanges()
   {
   }

   /** A change that is exactly one SQL text. */
   public abstract static class SqlChange extends ReplKitChange
   {
      abstract String sql();

      @Override
      protected SqlStatement[] statements(Database database)
      {
         return new SqlStatement[]{new ReplKitStatements.Text(sql())};
      }

      @Override
      public String getConfirmationMessage()
      {
         return name() + ": " + sql();
      }
   }

   /** A change naming one site (log reader commands). */
   public abstract static class SiteChange extends SqlChange
   {
      private String site;

      @DatabaseChangeProperty(description = "Site (primary) whose log reader the command addresses", exampleValue = "pdb", requiredForDatabase = "all")
      public String getSite()
      {
         return site;
      }

      public void setSite(String site)
      {
         this.site = trim(site);
      }

      @Override
      protected void check(List<String> problems)
      {
         add(problems, ReplKitSql.siteProblem("site", site));
      }

      <T extends SiteChange> T withSite(T other)
      {
         other.setSite(site);
         return other;
      }
   }

   /** A change naming one connection {@code dataserver.database}. */
   public abstract static class ConnectionChange extends SqlChange
   {
      private String connection;

      @DatabaseChangeProperty(description = "Replication server connection dataserver.database", exampleValue = "ds.db", requiredForDatabase = "all")
      public String getConnection()
      {
         return connection;
      }

      public void setConnection(String connection)
      {
         this.connection = trim(connection);
      }

      @Override
      protected void check(List<String> problems)
      {
         add(problems, ReplKitSql.connectionProblem("connection", connection));
      }
   }

   // ---------------------------------------------------------------- seed 000 step 6

   @DatabaseChange(name = "dumpMarker", description = "lr_dump_marker: mark the dump position (seed 000 step 6)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class DumpMarker extends SqlChange
   {
      private String position;
      private String site;

      @DatabaseChangeProperty(description = "Commit sequence the dump holds; absent: the end of the log now", exampleValue = "42")
      public String getPosition()
      {
         return position;
      }

      public void setPosition(String position)
      {
         this.position = trim(position);
      }

      @DatabaseChangeProperty(description = "Site whose log gets the marker; absent: the Liquibase connection's own", exampleValue = "pdb")
      public String getSite()
      {
         return site;
      }

      public void setSite(String site)
      {
         this.site = trim(site);
      }

      @Override
      protected void check(List<String> problems)
      {
         number(problems, "position", position, 0, Long.MAX_VALUE);
         if (site != null) {
            add(problems, ReplKitSql.siteProblem("site", site));
         }
      }

      @Override
      String sql()
      {
         return ReplKitSql.dumpMarker(position == null ? null : Long.valueOf(position), site);
      }

      @Override
      protected String noRollback()
      {
         return "a dump marker cannot be taken back once the log reader has sent it.";
      }
   }

   // ---------------------------------------------------------------- seed 002 / 000 step 7

   @DatabaseChange(name = "resyncMarker", description = "sp_start_rep_agent resync: restart the log reader sending a resync marker (seed 002)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class ResyncMarker extends SiteChange
   {
      private String mode;

      @DatabaseChangeProperty(description = "none (resync), purge (resync purge) or init (resync init); default none", exampleValue = "purge")
      public String getMode()
      {
         return mode;
      }

      public void setMode(String mode)
      {
         this.mode = lower(orAbsent(mode, "none"));
      }

      @Override
      protected void check(List<String> problems)
      {
         super.check(problems);
         if (mode != null) {
            try {
               ReplKitSql.ResyncMode.of(mode);
            }
            catch (IllegalArgumentException e) {
               problems.add(e.getMessage());
            }
         }
      }

      @Override
      String sql()
      {
         return ReplKitSql.resyncMarker(getSite(), mode == null ? ReplKitSql.ResyncMode.NONE : ReplKitSql.ResyncMode.of(mode));
      }

      @Override
      protected String noRollback()
      {
         return "a resync marker cannot be taken back once it is in the stream.";
      }
   }

   @DatabaseChange(name = "suspendLogReader", description = "suspend log transfer from SITE (seed 000 step 1)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class SuspendLogReader extends SiteChange
   {
      @Override
      String sql()
      {
         return ReplKitSql.suspendLogTransfer(getSite());
      }

      @Override
      protected Change[] createInverses()
      {
         return new Change[]{withSite(new ResumeLogReader())};
      }

      @Override
      protected String noRollback()
      {
         return null;
      }
   }

   @DatabaseChange(name = "resumeLogReader", description = "resume log transfer from SITE", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class ResumeLogReader extends SiteChange
   {
      @Override
      String sql()
      {
         return ReplKitSql.resumeLogTransfer(getSite());
      }

      @Override
      protected Change[] createInverses()
      {
         return new Change[]{withSite(new SuspendLogReader())};
      }

      @Override
      protected String noRollback()
      {
         return null;
      }
   }

   @DatabaseChange(name = "raInitForce", description = "ra_init force SITE: reinitialize the log reader's repository (seed 000 step 7)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class RaInitForce extends SiteChange
   {
      @Override
      String sql()
      {
         return ReplKitSql.raInitForce(getSite());
      }

      @Override
      protected String noRollback()
      {
         return "ra_init force discards the log reader's repository; there is nothing to restore it from.";
      }
   }

   // ---------------------------------------------------------------- connections (seed 000 steps 2, 3, 11)

   @DatabaseChange(name = "suspendConnection", description = "suspend connection to ds.db (seed 000 step 2)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class SuspendConnection extends ConnectionChange
   {
      @Override
      String sql()
      {
         return ReplKitSql.suspendConnection(getConnection());
      }

      @Override
      protected Change[] createInverses()
      {
         final ResumeConnection r = new ResumeConnection();
         r.setConnection(getConnection());
         return new Change[]{r};
      }

      @Override
      protected String noRollback()
      {
         return null;
      }
   }

   @DatabaseChange(name = "resumeConnection", description = "resume connection to ds.db [skip to resync marker | skip transaction] (seed 000 steps 3, 11)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class ResumeConnection extends ConnectionChange
   {
      private String skipToResyncMarker;
      private String skipTransaction;

      @DatabaseChangeProperty(description = "Discard the outbound queue until the resync marker arrives; default false", exampleValue = "true")
      public String getSkipToResyncMarker()
      {
         return skipToResyncMarker;
      }

      public void setSkipToResyncMarker(String v)
      {
         this.skipToResyncMarker = flag(v);
      }

      @DatabaseChangeProperty(description = "Skip the failing transaction into the exceptions log; default false", exampleValue = "true")
      public String getSkipTransaction()
      {
         return skipTransaction;
      }

      public void setSkipTransaction(String v)
      {
         this.skipTransaction = flag(v);
      }

      @Override
      protected void check(List<String> problems)
      {
         super.check(problems);
         checkFlag(problems, "skipToResyncMarker", skipToResyncMarker);
         checkFlag(problems, "skipTransaction", skipTransaction);
         if (isTrue(skipToResyncMarker) && isTrue(skipTransaction)) {
            problems.add("skipToResyncMarker and skipTransaction cannot both be true");
         }
      }

      @Override
      String sql()
      {
         return ReplKitSql.resumeConnection(getConnection(), isTrue(skipToResyncMarker), isTrue(skipTransaction));
      }

      /** Suspending again is the inverse; what a skip discarded stays discarded. */
      @Override
      protected Change[] createInverses()
      {
         final SuspendConnection s = new SuspendConnection();
         s.setConnection(getConnection());
         return new Change[]{s};
      }

      @Override
      protected String noRollback()
      {
         return null;
      }
   }
}
