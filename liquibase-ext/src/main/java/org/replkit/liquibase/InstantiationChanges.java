package org.replkit.liquibase;

import java.util.List;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;
import liquibase.database.Database;
import liquibase.statement.SqlStatement;

import org.replkit.liquibase.ReplKitSql.OfflineOg;

/**
 * The DBMS_OFFLINE_OG procedures of seed 004, one change type each, all taking the group and the new site.
 * They run where the seed says (master definition site or new site): point the changeset's Liquibase URL at
 * that site, or use {@code offlineInstantiation}, which runs all nine steps over its own connections.
 * None can be rolled back: DBMS_OFFLINE_OG has no inverse procedures.
 */
public final class InstantiationChanges
{
   private InstantiationChanges()
   {
   }

   public abstract static class OfflineOgChange extends ReplKitChange
   {
      private String gname;
      private String newSite;

      abstract OfflineOg procedure();

      @DatabaseChangeProperty(description = "Replication group", exampleValue = "SPROCKET", requiredForDatabase = "all")
      public String getGname()
      {
         return gname;
      }

      public void setGname(String gname)
      {
         this.gname = trim(gname);
      }

      @DatabaseChangeProperty(description = "Global name of the new master site", exampleValue = "D7NY.BIGWHEEL.COM", requiredForDatabase = "all")
      public String getNewSite()
      {
         return newSite;
      }

      public void setNewSite(String newSite)
      {
         this.newSite = trim(newSite);
      }

      @Override
      protected void check(List<String> problems)
      {
         add(problems, ReplKitSql.groupProblem("gname", gname));
         add(problems, ReplKitSql.siteProblem("newSite", newSite));
      }

      @Override
      protected SqlStatement[] statements(Database database)
      {
         return new SqlStatement[]{new ReplKitStatements.Text(ReplKitSql.offlineOg(procedure(), gname, newSite))};
      }

      @Override
      protected String noRollback()
      {
         return "DBMS_OFFLINE_OG has no procedure that undoes " + procedure() + ".";
      }

      @Override
      public String getConfirmationMessage()
      {
         return "DBMS_OFFLINE_OG." + procedure() + " done for group " + gname + ", new site " + newSite;
      }
   }

   @DatabaseChange(name = "beginInstantiation", description = "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION, at the master definition site (seed 004 step 3)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class BeginInstantiation extends OfflineOgChange
   {
      @Override
      OfflineOg procedure()
      {
         return OfflineOg.BEGIN_INSTANTIATION;
      }
   }

   @DatabaseChange(name = "resumeSubsetOfMasters", description = "DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS, at the master definition site (seed 004 step 5)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class ResumeSubsetOfMasters extends OfflineOgChange
   {
      @Override
      OfflineOg procedure()
      {
         return OfflineOg.RESUME_SUBSET_OF_MASTERS;
      }
   }

   @DatabaseChange(name = "beginLoad", description = "DBMS_OFFLINE_OG.BEGIN_LOAD, at the new site (seed 004 step 6)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class BeginLoad extends OfflineOgChange
   {
      @Override
      OfflineOg procedure()
      {
         return OfflineOg.BEGIN_LOAD;
      }
   }

   @DatabaseChange(name = "endLoad", description = "DBMS_OFFLINE_OG.END_LOAD, at the new site (seed 004 step 8)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class EndLoad extends OfflineOgChange
   {
      @Override
      OfflineOg procedure()
      {
         return OfflineOg.END_LOAD;
      }
   }

   @DatabaseChange(name = "endInstantiation", description = "DBMS_OFFLINE_OG.END_INSTANTIATION, at the master definition site (seed 004 step 9)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class EndInstantiation extends OfflineOgChange
   {
      @Override
      OfflineOg procedure()
      {
         return OfflineOg.END_INSTANTIATION;
      }
   }
}
