package org.replkit.procs;

import java.sql.SQLException;
import java.util.List;

/**
 * The command language's entry points, over the standard {@link Registry}.
 *
 * <ul>
 *   <li>The driver: {@link #recognize} on every statement it does not know to be ordinary SQL; null means
 *       "not ours, send it to the database"; otherwise {@link Script#bind} with the statement's bind values.</li>
 *   <li>The server and the CLI: {@link #parse} on a command's text (the canonical text the driver queued,
 *       or what an operator typed).</li>
 * </ul>
 */
public final class Commands
{
   private static final CallParser PARSER = new CallParser(Registry.standard());

   private Commands()
   {
   }

   /** The calls of registered procedures in {@code sql} (maybe malformed: {@link Script#error}), or null. Cached by text. */
   public static Script recognize(String sql)
   {
      return PARSER.parse(sql);
   }

   /**
    * One command's text to its typed invocation; null when the text is not a command of the registry.
    * Throws an SQLException (naming the signature) for a malformed call or bad arguments, and for text
    * holding bind markers or more than one call.
    */
   public static Invocation parse(String text) throws SQLException
   {
      final Script s = PARSER.parse(text);
      if (s == null) {
         return null;
      }
      final List<Invocation> calls = s.bind(Binds.NONE);
      if (calls.size() != 1) {
         throw new SQLException("one command at a time: '" + CallParser.abbreviate(text) + "' holds " + calls.size() + " calls", "0A000");
      }
      return calls.get(0);
   }

   /**
    * Every call of a command text, in order (a {@code BEGIN ... END} block may hold several: seed 004's
    * first three steps are one block); null when the text is not a command of the registry.
    */
   public static List<Invocation> parseAll(String text) throws SQLException
   {
      final Script s = PARSER.parse(text);
      return s == null ? null : s.bind(Binds.NONE);
   }
}
