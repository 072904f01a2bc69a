package org.replkit.procs;

import org.replkit.core.changelog.ChangeLogSchema;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A procedure ReplKit answers itself instead of the database: its qualified name, typed parameters and
 * where it runs. Binding a parsed call to the signature is the one place arguments are checked, so the
 * driver, the CLI and the server give the same error for the same mistake, always naming the signature.
 *
 * <p>Values are typed strictly: a literal or bind value is converted only when the conversion is exact
 * ('42' is a BIGINT, 'x' and 1.5 are not). The canonical text ({@link #render}) is what the server gets;
 * it parses back to the same arguments, so the server never sees bind markers or the client's syntax.
 */
public final class Procedure
{
   /** Where a call runs: on the caller's own connection, or in the replication server (through the control database). */
   public enum Kind
   {
      LOCAL,
      SERVER
   }

   public enum SqlType
   {
      VARCHAR,
      BIGINT,
      BOOLEAN
   }

   /** How the canonical text is written; each form parses back to the same invocation. */
   public enum Style
   {
      /** Sybase: {@code sp_start_rep_agent 'pdb', 'resync purge'}. */
      EXEC,
      /** Oracle: {@code DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY')}. */
      NAMED,
      /** solidDB: {@code ADMIN COMMAND 'hotstandby connect'}. */
      ADMIN,
      /** A replication server command sent as SQL text ({@code suspend connection to ds.db}): the text itself. */
      TEXT
   }

   /**
    * One parameter. {@code optional} ones take {@code dflt} when not given; {@code nullable} says whether
    * NULL is accepted (Oracle's procedures accept it and report badargument themselves); {@code allowed},
    * when not empty, lists the only accepted values (matched ignoring case, stored as spelled here).
    */
   public record Param(String name, SqlType type, boolean optional, Object dflt, boolean nullable, List<String> allowed)
   {
      public static Param required(String name, SqlType type)
      {
         return new Param(name, type, false, null, false, List.of());
      }

      public static Param optional(String name, SqlType type, Object dflt)
      {
         return new Param(name, type, true, dflt, true, List.of());
      }

      public Param acceptingNull()
      {
         return new Param(name, type, optional, dflt, true, allowed);
      }

      public Param allowing(String... values)
      {
         return new Param(name, type, optional, dflt, nullable, List.of(values));
      }

      @Override
      public String toString()
      {
         return name + ' ' + type + (optional ? " = " + literal(dflt) : "");
      }
   }

   /** What a LOCAL procedure needs besides its arguments. */
   public record Context(ChangeLogSchema log, String site)
   {
   }

   /** A one-row, one-column result. */
   public record Result(String column, SqlType type, Object value)
   {
   }

   /** The body of a LOCAL procedure, run on the caller's real connection. */
   @FunctionalInterface
   public interface Body
   {
      Result run(Connection c, Context ctx, Invocation call) throws SQLException;
   }

   private final String name;
   private final List<Param> params;
   private final Kind kind;
   private final Style style;
   private final Body body;

   public Procedure(String name, Kind kind, Style style, Body body, Param... params)
   {
      if ((kind == Kind.LOCAL) != (body != null)) {
         throw new IllegalArgumentException(name + ": a LOCAL procedure has a body, a SERVER one has none");
      }
      this.name = name;
      this.kind = kind;
      this.style = style;
      this.body = body;
      this.params = List.of(params);
   }

   public String name()
   {
      return name;
   }

   public List<Param> params()
   {
      return params;
   }

   public Kind kind()
   {
      return kind;
   }

   public Style style()
   {
      return style;
   }

   Body body()
   {
      return body;
   }

   /** {@code lr_dump_marker(position BIGINT = NULL, site VARCHAR = NULL)}; text commands: {@code suspend ...}. */
   public String signature()
   {
      if (style == Style.TEXT) {
         return name + " ...";
      }
      if (style == Style.ADMIN) {
         return name + " '<command>'";
      }
      final StringBuilder sb = new StringBuilder(name).append('(');
      for (int i = 0; i < params.size(); i++) {
         sb.append(i == 0 ? "" : ", ").append(params.get(i));
      }
      return sb.append(')').toString();
   }

   Param param(String paramName)
   {
      for (Param p : params) {
         if (p.name.equalsIgnoreCase(paramName)) {
            return p;
         }
      }
      return null;
   }

   // ---- binding ----

   /**
    * Binds one parsed call: assigns positional and named arguments to parameters, takes bind values for
    * markers, converts every value to its declared type and fills in defaults. Throws an SQLException
    * naming the signature for the first thing wrong.
    */
   Invocation bind(List<Script.Arg> args, Binds binds) throws SQLException
   {
      final Object[] values = new Object[params.size()];
      final boolean[] given = new boolean[params.size()];
      final boolean[] marked = new boolean[params.size()];
      boolean named = false;
      for (String n : binds.names()) {
         if (param(n) == null) {
            throw error("a value was set for " + n + ", which is not one of its parameters", "42883");
         }
      }
      for (int i = 0; i < args.size(); i++) {
         final Script.Arg a = args.get(i);
         final int at;
         if (a.name() == null) {
            if (named) {
               throw error("positional argument " + (i + 1) + " follows a named one; name it too", "42601");
            }
            if (i >= params.size()) {
               throw error(args.size() + " arguments given, it takes " + (params.size() == 1 ? "1" : "at most " + params.size()), "42883");
            }
            at = i;
         }
         else {
            named = true;
            final Param p = param(a.name());
            if (p == null) {
               throw error("it has no parameter named " + a.name(), "42883");
            }
            at = params.indexOf(p);
         }
         final Param p = params.get(at);
         if (given[at]) {
            throw error(p.name + " is given twice", "42883");
         }
         given[at] = true;
         Object v = a.value();
         if (v instanceof Script.Marker m) {
            marked[at] = true;
            if (binds.has(m.index())) {
               v = binds.get(m.index());
            }
            else if (binds.has(p.name)) {
               v = binds.get(p.name);
            }
            else {
               throw error("no value was set for parameter " + m.index() + " (?) of " + p.name, "07001");
            }
         }
         values[at] = convert(p, v);
      }
      for (String n : binds.names()) {
         final Param p = param(n);
         if (!marked[params.indexOf(p)]) {
            throw error("a value was set for " + p.name + ", which has no ? in the call", "07001");
         }
      }
      final Map<String, Object> typed = new LinkedHashMap<>();
      for (int i = 0; i < params.size(); i++) {
         final Param p = params.get(i);
         if (!given[i] && !p.optional) {
            throw error(p.name + " is required", "42883");
         }
         typed.put(p.name, given[i] ? values[i] : p.dflt);
      }
      return new Invocation(this, typed);
   }

   private Object convert(Param p, Object v) throws SQLException
   {
      if (v == null) {
         if (!p.nullable) {
            throw error(p.name + " must not be NULL", "22004");
         }
         return null;
      }
      final Object typed = switch (p.type) {
         case VARCHAR -> varchar(v);
         case BIGINT -> bigint(v);
         case BOOLEAN -> bool(v);
      };
      if (typed == null) {
         throw error(p.name + ": " + describe(v) + " is not a " + p.type, "22023");
      }
      if (p.allowed.isEmpty()) {
         return typed;
      }
      for (String ok : p.allowed) {
         if (ok.equalsIgnoreCase((String) typed)) {
            return ok;
         }
      }
      throw error(p.name + " " + literal(typed) + " is not one of " + String.join(", ", p.allowed.stream().map(Procedure::literal).toList())
                  + (p.nullable ? " (or NULL)" : ""), "22023");
   }

   private static String varchar(Object v)
   {
      if (v instanceof String s) {
         return s;
      }
      if (v instanceof Character c) {
         return c.toString();
      }
      final BigDecimal d = number(v);
      return d == null ? null : d.toPlainString(); // a number's own text is exact; booleans are not text
   }

   private static Long bigint(Object v)
   {
      BigDecimal d = number(v);
      if (d == null && v instanceof String s && s.matches("[+-]?[0-9]+")) {
         d = new BigDecimal(s);
      }
      if (d == null) {
         return null;
      }
      try {
         return d.longValueExact(); // 1.5 and 2^63 fail; 42.0 is 42
      }
      catch (ArithmeticException notExact) {
         return null;
      }
   }

   private static Boolean bool(Object v)
   {
      if (v instanceof Boolean b) {
         return b;
      }
      final String s = v instanceof String str ? str.toLowerCase(Locale.ROOT) : v instanceof Number ? String.valueOf(bigint(v)) : "";
      return switch (s) {
         case "true", "1" -> Boolean.TRUE;
         case "false", "0" -> Boolean.FALSE;
         default -> null;
      };
   }

   private static BigDecimal number(Object v)
   {
      if (v instanceof BigDecimal d) {
         return d;
      }
      if (v instanceof BigInteger i) {
         return new BigDecimal(i);
      }
      if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
         return BigDecimal.valueOf(((Number) v).longValue());
      }
      if (v instanceof Double || v instanceof Float) {
         final double d = ((Number) v).doubleValue();
         return Double.isFinite(d) ? new BigDecimal(Double.toString(d)) : null;
      }
      return null;
   }

   private static String describe(Object v)
   {
      if (v instanceof String s) {
         return literal(s);
      }
      if (number(v) != null || v instanceof Boolean) {
         return v instanceof BigDecimal d ? d.toPlainString() : v.toString();
      }
      return "a value of Java type " + v.getClass().getName();
   }

   SQLException error(String problem, String sqlState)
   {
      return new SQLException(signature() + ": " + problem, sqlState);
   }

   // ---- canonical text ----

   /** The canonical text of a call with these typed arguments; parses back to the same invocation. */
   String render(Map<String, Object> args)
   {
      switch (style) {
         case TEXT:
            return (String) args.get(params.get(0).name);
         case ADMIN:
            return name + ' ' + literal(args.get(params.get(0).name));
         case EXEC: {
            int last = -1; // trailing defaults are left out: sp_start_rep_agent 'pdb'
            for (int i = 0; i < params.size(); i++) {
               if (!params.get(i).optional || !same(args.get(params.get(i).name), params.get(i).dflt)) {
                  last = i;
               }
            }
            final StringBuilder sb = new StringBuilder(name);
            for (int i = 0; i <= last; i++) {
               sb.append(i == 0 ? " " : ", ").append(literal(args.get(params.get(i).name)));
            }
            return sb.toString();
         }
         default: {
            final List<String> parts = new ArrayList<>();
            for (Param p : params) {
               final Object v = args.get(p.name);
               if (!p.optional || !same(v, p.dflt)) {
                  parts.add(p.name + " => " + literal(v));
               }
            }
            return name + '(' + String.join(", ", parts) + ')';
         }
      }
   }

   private static boolean same(Object a, Object b)
   {
      return a == null ? b == null : a.equals(b);
   }

   /** A value as an SQL literal: strings quoted with quotes doubled, NULL, TRUE/FALSE, numbers as digits. */
   static String literal(Object v)
   {
      if (v == null) {
         return "NULL";
      }
      if (v instanceof String s) {
         return '\'' + s.replace("'", "''") + '\'';
      }
      if (v instanceof Boolean b) {
         return b ? "TRUE" : "FALSE";
      }
      return v.toString();
   }

   @Override
   public String toString()
   {
      return signature() + ' ' + kind;
   }
}
