package org.replkit.liquibase;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import liquibase.change.AbstractChange;
import liquibase.change.DatabaseChange;
import liquibase.database.Database;
import liquibase.exception.RollbackImpossibleException;
import liquibase.exception.ValidationErrors;
import liquibase.statement.SqlStatement;

/**
 * What every ReplKit change type shares: the XML namespace, validation that names each missing or wrong
 * attribute before any statement is generated, and rollback that is either an inverse change or a refusal
 * saying why.
 *
 * <p>Attributes are strings, checked here rather than converted by Liquibase, so that every wrong one is
 * reported at once with its name. An optional attribute set to its default is stored as absent: Liquibase
 * leaves absent attributes out of the checksum, so writing the default explicitly (or a later version adding
 * a new optional attribute) does not change a changeset's checksum.
 */
public abstract class ReplKitChange extends AbstractChange
{
   public static final String NAMESPACE = "http://replkit.org/xml/ns/liquibase";

   /** Appends one message per missing or wrong attribute, each starting with the attribute's name. */
   protected abstract void check(List<String> problems);

   /** The statements, called only with valid attributes. */
   protected abstract SqlStatement[] statements(Database database);

   /** Null when {@link #createInverses()} gives the rollback; otherwise why this change cannot be undone. */
   protected abstract String noRollback();

   /** The change type's name, e.g. {@code dumpMarker}. */
   public String name()
   {
      return getClass().getAnnotation(DatabaseChange.class).name();
   }

   final List<String> problems()
   {
      final List<String> problems = new ArrayList<>();
      check(problems);
      return problems;
   }

   @Override
   public ValidationErrors validate(Database database)
   {
      final ValidationErrors errors = new ValidationErrors(this);
      for (String p : problems()) {
         errors.addError(name() + ": " + p);
      }
      if (errors.hasErrors()) {
         return errors; // statements cannot be generated from wrong attributes
      }
      errors.addAll(super.validate(database));
      return errors;
   }

   @Override
   public final SqlStatement[] generateStatements(Database database)
   {
      // Liquibase may ask for statements before validating (supports(), warnings); never throw from here
      final List<String> problems = problems();
      if (!problems.isEmpty()) {
         return new SqlStatement[]{new ReplKitStatements.Text("-- " + name() + " has wrong attributes: " + String.join("; ", problems))};
      }
      return statements(database);
   }

   /** True under update-sql (and while Liquibase renders SQL for its logs): print, do nothing. */
   protected boolean dryRun(Database database)
   {
      return !shouldExecuteChange(database);
   }

   @Override
   public boolean supportsRollback(Database database)
   {
      return noRollback() == null && super.supportsRollback(database);
   }

   @Override
   public SqlStatement[] generateRollbackStatements(Database database) throws RollbackImpossibleException
   {
      final String why = noRollback();
      if (why != null) {
         throw new RollbackImpossibleException(name() + " cannot be rolled back: " + why
                                               + " Give its changeset a <rollback> block that says what undoing it means here.");
      }
      return super.generateRollbackStatements(database);
   }

   @Override
   public String getSerializedObjectNamespace()
   {
      return NAMESPACE;
   }

   // ---------------------------------------------------------------- attribute helpers

   /** Trimmed, or null when empty. */
   static String trim(String v)
   {
      if (v == null) {
         return null;
      }
      final String t = v.trim();
      return t.isEmpty() ? null : t;
   }

   /** Trimmed; null when empty or equal (ignoring case) to the default, so the default leaves no trace in the checksum. */
   static String orAbsent(String v, String dflt)
   {
      final String t = trim(v);
      return t == null || t.equalsIgnoreCase(dflt) ? null : t;
   }

   /** A boolean attribute whose default is false: "false" is stored as absent, "true" in one spelling. */
   static String flag(String v)
   {
      final String t = orAbsent(v, "false");
      return t != null && t.equalsIgnoreCase("true") ? "true" : t;
   }

   static boolean isTrue(String flag)
   {
      return "true".equals(flag);
   }

   static void checkFlag(List<String> problems, String attribute, String value)
   {
      if (value != null && !value.equals("true")) {
         problems.add(attribute + " '" + ReplKitSql.printable(value) + "' is not true or false");
      }
   }

   static void required(List<String> problems, String attribute, String value, String example)
   {
      if (value == null) {
         problems.add(attribute + " is required (e.g. " + attribute + "=\"" + example + "\")");
      }
   }

   static void add(List<String> problems, String problem)
   {
      if (problem != null) {
         problems.add(problem);
      }
   }

   /** A whole number within [min, max], or a message naming the attribute. */
   static Long number(List<String> problems, String attribute, String value, long min, long max)
   {
      if (value == null) {
         return null;
      }
      try {
         final long n = Long.parseLong(value);
         if (n < min) {
            problems.add(attribute + " " + n + " is below " + min);
            return null;
         }
         if (n > max) {
            problems.add(attribute + " " + n + " is above " + max);
            return null;
         }
         return n;
      }
      catch (NumberFormatException e) {
         problems.add(attribute + " '" + ReplKitSql.printable(value) + "' is not a whole number");
         return null;
      }
   }

   static String lower(String v)
   {
      return v == null ? null : v.toLowerCase(Locale.ROOT);
   }
}
