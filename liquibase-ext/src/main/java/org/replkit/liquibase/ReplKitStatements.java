package org.replkit.liquibase;

import java.sql.Connection;

import liquibase.database.Database;
import liquibase.database.PreparedStatementFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.DatabaseException;
import liquibase.exception.ValidationErrors;
import liquibase.sql.Sql;
import liquibase.sql.UnparsedSql;
import liquibase.sqlgenerator.SqlGeneratorChain;
import liquibase.sqlgenerator.core.AbstractSqlGenerator;
import liquibase.statement.AbstractSqlStatement;
import liquibase.statement.ExecutablePreparedStatement;

/**
 * The two kinds of statement the change types produce, and their generators.
 *
 * <p>{@link Text} is SQL (or comment lines) that Liquibase executes on its own connection and update-sql
 * prints. {@link Task} is work done in this process (composites, snapshots, verify): only Liquibase's JDBC
 * executor calls {@link Task#execute}; everywhere else (update-sql, SQL for logging, db-doc) only its
 * generator runs, and that renders the task's preview without doing anything. Under update-sql the changes
 * return the preview as {@link Text} instead, because Liquibase prints a non-SQL warning line before any
 * {@link ExecutablePreparedStatement}.
 */
public final class ReplKitStatements
{
   private ReplKitStatements()
   {
   }

   /** Work done in-process against the Liquibase connection (for the progress table) and connections of its own. */
   @FunctionalInterface
   public interface Work
   {
      void run(Connection liquibaseConnection) throws Exception;
   }

   public static final class Text extends AbstractSqlStatement
   {
      private final String sql;

      public Text(String sql)
      {
         this.sql = sql;
      }

      public String getSql()
      {
         return sql;
      }
   }

   public static final class Task extends AbstractSqlStatement implements ExecutablePreparedStatement
   {
      private final String preview;
      private final Database database;
      private final Work work;

      public Task(String preview, Database database, Work work)
      {
         this.preview = preview;
         this.database = database;
         this.work = work;
      }

      public String getPreview()
      {
         return preview;
      }

      @Override
      public void execute(PreparedStatementFactory factory) throws DatabaseException
      {
         try {
            work.run(((JdbcConnection) database.getConnection()).getUnderlyingConnection());
         }
         catch (DatabaseException e) {
            throw e;
         }
         catch (Exception e) {
            throw new DatabaseException(e.getMessage(), e);
         }
      }
   }

   public static final class TextGenerator extends AbstractSqlGenerator<Text>
   {
      @Override
      public ValidationErrors validate(Text statement, Database database, SqlGeneratorChain<Text> chain)
      {
         return new ValidationErrors().checkRequiredField("sql", statement.getSql());
      }

      @Override
      public Sql[] generateSql(Text statement, Database database, SqlGeneratorChain<Text> chain)
      {
         return new Sql[]{new UnparsedSql(statement.getSql())};
      }
   }

   public static final class TaskGenerator extends AbstractSqlGenerator<Task>
   {
      @Override
      public ValidationErrors validate(Task statement, Database database, SqlGeneratorChain<Task> chain)
      {
         return new ValidationErrors();
      }

      @Override
      public Sql[] generateSql(Task statement, Database database, SqlGeneratorChain<Task> chain)
      {
         return new Sql[]{new UnparsedSql(statement.getPreview())};
      }
   }
}
