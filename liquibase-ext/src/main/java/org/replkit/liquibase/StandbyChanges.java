package org.replkit.liquibase;

import java.util.List;

import liquibase.change.Change;
import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;

/**
 * The HotStandby commands of seed 003, sent as {@code ADMIN COMMAND '...'} over the Liquibase connection (the
 * primary's {@code jdbc:replkit:} URL). {@code hotstandbySync} runs the whole synchronization.
 */
public final class StandbyChanges
{
   private StandbyChanges()
   {
   }

   @DatabaseChange(name = "hotstandbyConnect", description = "ADMIN COMMAND 'hotstandby connect': connect the pair; catchup runs by itself (seed 003)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class HotstandbyConnect extends MarkerChanges.SqlChange
   {
      @Override
      protected void check(List<String> problems)
      {
         // no attributes
      }

      @Override
      String sql()
      {
         return ReplKitSql.HOTSTANDBY_CONNECT;
      }

      @Override
      protected String noRollback()
      {
         return "the transactions caught up by the secondary cannot be taken back.";
      }
   }

   @DatabaseChange(name = "hotstandbyCopy", description = "ADMIN COMMAND 'hotstandby copy' or 'hotstandby netcopy': full copy to the secondary (seed 003)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class HotstandbyCopy extends MarkerChanges.SqlChange
   {
      private String netcopy;

      @DatabaseChangeProperty(description = "Copy over the network to a (diskless) secondary: hotstandby netcopy; default false", exampleValue = "true")
      public String getNetcopy()
      {
         return netcopy;
      }

      public void setNetcopy(String netcopy)
      {
         this.netcopy = flag(netcopy);
      }

      @Override
      protected void check(List<String> problems)
      {
         checkFlag(problems, "netcopy", netcopy);
      }

      @Override
      String sql()
      {
         return isTrue(netcopy) ? ReplKitSql.HOTSTANDBY_NETCOPY : ReplKitSql.HOTSTANDBY_COPY;
      }

      @Override
      protected String noRollback()
      {
         return "a full copy overwrote the secondary's database files.";
      }
   }

   @DatabaseChange(name = "hotstandbyState", description = "ADMIN COMMAND 'hotstandby state': read the pair's state (seed 003)", priority = ChangeMetaData.PRIORITY_DEFAULT)
   public static final class HotstandbyState extends MarkerChanges.SqlChange
   {
      @Override
      protected void check(List<String> problems)
      {
         // no attributes
      }

      @Override
      String sql()
      {
         return ReplKitSql.HOTSTANDBY_STATE;
      }

      /** Reading the state changes nothing, so rolling it back is doing nothing. */
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
   }
}
