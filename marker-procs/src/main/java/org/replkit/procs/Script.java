package org.replkit.procs;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What one SQL text holds once parsed: calls of registered procedures in order, not yet bound (their
 * arguments are literals and bind markers), or the reason the text is a malformed call. Immutable and
 * cached by text; binding happens per execution, with that execution's bind values.
 */
public final class Script
{
   /** A bind marker: the n-th {@code ?} of the text (the return value of {@code {? = call ...}} is 1). */
   public record Marker(int index)
   {
   }

   /**
    * One argument as written: {@code name} is null when positional; {@code value} is a String, a
    * BigDecimal, a Boolean, null (SQL NULL) or a {@link Marker}.
    */
   public record Arg(String name, Object value)
   {
   }

   public record Call(Procedure procedure, List<Arg> args)
   {
   }

   private final List<Call> calls;
   private final boolean returnsValue;
   private final String error;
   private final String errorState;

   private Script(List<Call> calls, boolean returnsValue, String error, String errorState)
   {
      this.calls = calls;
      this.returnsValue = returnsValue;
      this.error = error;
      this.errorState = errorState;
   }

   static Script of(List<Call> calls, boolean returnsValue)
   {
      return new Script(List.copyOf(calls), returnsValue, null, null);
   }

   static Script malformed(String error, String sqlState)
   {
      return new Script(List.of(), false, error, sqlState);
   }

   public List<Call> calls()
   {
      return calls;
   }

   /** {@code {? = call f(..)}}: marker 1 is the call's return value (the result's one column). */
   public boolean returnsValue()
   {
      return returnsValue;
   }

   /** The reason this text is a malformed call of a registered procedure, or null. */
   public String error()
   {
      return error;
   }

   /**
    * Binds every call before any runs, so a bad argument in the last call of a block stops the block
    * before its first call has done anything.
    */
   public List<Invocation> bind(Binds binds) throws SQLException
   {
      if (error != null) {
         throw new SQLException(error, errorState);
      }
      final List<Invocation> out = new ArrayList<>(calls.size());
      for (Call c : calls) {
         out.add(c.procedure().bind(c.args(), binds));
      }
      return out;
   }

   @Override
   public String toString()
   {
      return error != null ? "malformed: " + error : calls.toString();
   }
}
