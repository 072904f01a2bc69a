package org.replkit.core.queue;

import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Oqid;
import org.replkit.core.changelog.TableInfo;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a queued transaction: length-prefixed UTF-8 strings, no reflection, no library.
 * Row images stay the JSON text the primary wrote, so nothing is re-encoded on the hot path.
 */
public final class TxCodec
{
   private static final int VERSION = 1;

   private TxCodec()
   {
   }

   public static byte[] encode(QueuedTransaction q)
   {
      final var bytes = new ByteArrayOutputStream(256 + q.rows() * 128);
      try (DataOutputStream out = new DataOutputStream(bytes)) {
         final CommittedTransaction tx = q.tx();
         out.writeByte(VERSION);
         str(out, tx.oqid().site());
         out.writeLong(tx.oqid().seq());
         out.writeLong(tx.localTx());
         out.writeLong(tx.committedAt().getEpochSecond());
         out.writeInt(tx.committedAt().getNano());
         out.writeInt(q.tables().size());
         for (TableInfo t : q.tables()) {
            str(out, t.schema());
            str(out, t.name());
            str(out, t.keyColumnsText());
            str(out, t.columnsJson());
         }
         out.writeInt(tx.changes().size());
         for (Change c : tx.changes()) {
            out.writeByte(c.op().code);
            str(out, c.schema());
            str(out, c.table());
            str(out, c.before());
            str(out, c.after());
            str(out, c.stmt());
         }
      }
      catch (IOException e) {
         throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
   }

   public static QueuedTransaction decode(long position, byte[] body)
   {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
         final int version = in.readByte();
         if (version != VERSION) {
            throw new IllegalStateException("stable queue entry " + position + " has format " + version + ", this ReplKit reads " + VERSION);
         }
         final Oqid oqid = new Oqid(str(in), in.readLong());
         final long localTx = in.readLong();
         final Instant at = Instant.ofEpochSecond(in.readLong(), in.readInt());
         final int nt = in.readInt();
         final List<TableInfo> tables = new ArrayList<>(nt);
         for (int i = 0; i < nt; i++) {
            final String schema = str(in);
            final String name = str(in);
            final String key = str(in);
            tables.add(TableInfo.fromRegistry(schema, name, str(in), key));
         }
         final int nc = in.readInt();
         final List<Change> changes = new ArrayList<>(nc);
         for (int i = 0; i < nc; i++) {
            changes.add(new Change(Change.Op.of((char) in.readByte()), str(in), str(in), str(in), str(in), str(in)));
         }
         return new QueuedTransaction(position, new CommittedTransaction(oqid, localTx, at, changes), tables);
      }
      catch (IOException e) {
         throw new UncheckedIOException("stable queue entry " + position + " is damaged", e);
      }
   }

   private static void str(DataOutputStream out, String s) throws IOException
   {
      if (s == null) {
         out.writeInt(-1);
         return;
      }
      final byte[] b = s.getBytes(StandardCharsets.UTF_8);
      out.writeInt(b.length);
      out.write(b);
   }

   private static String str(DataInputStream in) throws IOException
   {
      final int n = in.readInt();
      if (n < 0) {
         return null;
      }
      final byte[] b = in.readNBytes(n);
      if (b.length != n) {
         throw new IOException("truncated string");
      }
      return new String(b, StandardCharsets.UTF_8);
   }
}
