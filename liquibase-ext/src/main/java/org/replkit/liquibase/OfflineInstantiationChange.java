package org.replkit.liquibase;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;

import org.replkit.liquibase.ReplKitSql.OfflineOg;

/**
 * Seed 004's nine steps of offline instantiation, each where the seed says it runs:
 * <pre>
 *   1 master definition site  DBMS_REPCAT.ADD_MASTER_DATABASE
 *   2 master definition site  DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY
 *   3 master definition site  DBMS_OFFLINE_OG.BEGIN_INSTANTIATION
 *   4 any master site         export the group's tables, with where the export stands for every master (in-process)
 *   5 master definition site  DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS
 *   6 new site                DBMS_OFFLINE_OG.BEGIN_LOAD
 *   7 new site                import the export                     (in-process, not captured)
 *   8 new site                DBMS_OFFLINE_OG.END_LOAD
 *   9 master definition site  DBMS_OFFLINE_OG.END_INSTANTIATION
 * </pre>
 */
@DatabaseChange(name = "offlineInstantiation", description = "Add a master site by export and import: DBMS_OFFLINE_OG's nine steps (seed 004)", priority = ChangeMetaData.PRIORITY_DEFAULT)
public final class OfflineInstantiationChange extends CompositeChange
{
   private String gname;
   private String newSite;
   private String masterDefinitionUrl;
   private String newSiteUrl;
   private String exportUrl;
   private String exportDir;
   private String tables;

   @DatabaseChangeProperty(description = "Replication group", exampleValue = "SPROCKET", requiredForDatabase = "all")
   public String getGname()
   {
      return gname;
   }

   public void setGname(String v)
   {
      gname = trim(v);
   }

   @DatabaseChangeProperty(description = "Global name of the new master site", exampleValue = "D7NY.BIGWHEEL.COM", requiredForDatabase = "all")
   public String getNewSite()
   {
      return newSite;
   }

   public void setNewSite(String v)
   {
      newSite = trim(v);
   }

   @DatabaseChangeProperty(description = "jdbc:replkit: URL of the master definition site", exampleValue = "jdbc:replkit:postgresql://d7ca/sprocket", requiredForDatabase = "all")
   public String getMasterDefinitionUrl()
   {
      return masterDefinitionUrl;
   }

   public void setMasterDefinitionUrl(String v)
   {
      masterDefinitionUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "jdbc:replkit: URL of the new master site", exampleValue = "jdbc:replkit:postgresql://d7ny/sprocket", requiredForDatabase = "all")
   public String getNewSiteUrl()
   {
      return newSiteUrl;
   }

   public void setNewSiteUrl(String v)
   {
      newSiteUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "jdbc:replkit: URL of the master site to export from (its replkit.site names it); default the master definition site", exampleValue = "jdbc:replkit:postgresql://d7tx/sprocket?replkit.site=D7TX")
   public String getExportUrl()
   {
      return exportUrl;
   }

   public void setExportUrl(String v)
   {
      exportUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "Directory the export is written to and imported from", exampleValue = "/var/replkit/export/sprocket", requiredForDatabase = "all")
   public String getExportDir()
   {
      return exportDir;
   }

   public void setExportDir(String v)
   {
      exportDir = trim(v);
   }

   @DatabaseChangeProperty(description = "Tables to copy, comma-separated; default the group's tables, read from the control database (replkit.control of masterDefinitionUrl)", exampleValue = "customers,orders")
   public String getTables()
   {
      return tables;
   }

   public void setTables(String v)
   {
      tables = trim(v);
   }

   @Override
   protected void check(List<String> problems)
   {
      super.check(problems);
      add(problems, ReplKitSql.groupProblem("gname", gname));
      add(problems, ReplKitSql.siteProblem("newSite", newSite));
      add(problems, Jdbc.urlProblem("masterDefinitionUrl", masterDefinitionUrl, true));
      add(problems, Jdbc.urlProblem("newSiteUrl", newSiteUrl, true));
      if (exportUrl != null) {
         add(problems, Jdbc.urlProblem("exportUrl", exportUrl, true));
      }
      required(problems, "exportDir", exportDir, "/var/replkit/export/sprocket");
      add(problems, Jdbc.tablesProblem("tables", tables));
   }

   @Override
   String header()
   {
      return "offlineInstantiation of new site " + newSite + " into group " + gname + " (seed 004)";
   }

   @Override
   String identity()
   {
      return gname + " " + newSite;
   }

   @Override
   Procedure procedure(Consumer<String> out)
   {
      final String mdef = "the master definition site " + Jdbc.redact(masterDefinitionUrl);
      final String ns = "the new site " + newSite + " " + Jdbc.redact(newSiteUrl);
      final String from = exportUrl == null ? masterDefinitionUrl : exportUrl;
      final String fromWhere = exportUrl == null ? mdef : "the master site " + Jdbc.redact(exportUrl);
      final List<String> list = Jdbc.tables(tables);
      final String what = list.isEmpty() ? "the tables of group " + gname : "tables " + String.join(", ", list);
      final Path dir = Path.of(exportDir);
      final Procedure p = new Procedure(name(), procedureIdentity(), out);
      step(p, "1 ADD_MASTER_DATABASE", mdef, masterDefinitionUrl, ReplKitSql.addMasterDatabase(gname, newSite));
      step(p, "2 SUSPEND_MASTER_ACTIVITY", mdef, masterDefinitionUrl, ReplKitSql.suspendMasterActivity(gname));
      step(p, "3 BEGIN_INSTANTIATION", mdef, masterDefinitionUrl, ReplKitSql.offlineOg(OfflineOg.BEGIN_INSTANTIATION, gname, newSite));
      p.step("4 export", fromWhere, "-- export " + what + " to " + dir + " with the position of every master (in-process, one snapshot transaction;"
                                    + " replkit export)", x -> {
         final String control = list.isEmpty() ? Copies.config(masterDefinitionUrl).control() : null;
         return Copies.exportMaster(from, fromWhere, gname, control, list, dir, out);
      });
      step(p, "5 RESUME_SUBSET_OF_MASTERS", mdef, masterDefinitionUrl, ReplKitSql.offlineOg(OfflineOg.RESUME_SUBSET_OF_MASTERS, gname, newSite));
      step(p, "6 BEGIN_LOAD", ns, newSiteUrl, ReplKitSql.offlineOg(OfflineOg.BEGIN_LOAD, gname, newSite));
      p.step("7 import", ns, "-- import " + dir + " into the new site, replacing its tables of those names, and record the export's positions in its"
                             + " rs_lastcommit (in-process, not captured; replkit import)", x -> Copies.importMaster(dir, newSiteUrl, ns, out));
      step(p, "8 END_LOAD", ns, newSiteUrl, ReplKitSql.offlineOg(OfflineOg.END_LOAD, gname, newSite));
      step(p, "9 END_INSTANTIATION", mdef, masterDefinitionUrl, ReplKitSql.offlineOg(OfflineOg.END_INSTANTIATION, gname, newSite));
      return p;
   }

   private static void step(Procedure p, String label, String where, String url, String sql)
   {
      p.step(label, where, sql, sql(url, where, sql));
   }
}
