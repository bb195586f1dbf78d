package hakmem.bench;

import hakmem.bench.cli.BenchCommand;

/**
 * The bench CLI's entry point; see {@link BenchCommand} or run with {@code --help}.
 *
 * <pre>
 * larson    [--quick] [--seconds S] [--threads 1,2] [--allocators hakmem,native] [--min 8] [--max 1000]
 *           [--blocks 5000] [--rounds 100] [--seed 4141] [--runs 1] [--out DIR] [--no-chart]
 * scenarios [--scenarios json,mir,vm,mixed] ...   appmix [--window 1000] ...   remote [--remote 0,50,90] ...
 * phase     [--phases json,vm,app] ...            all ...   chart --from results.json   list
 * learn     [--quick] [--seconds 20] [--threads 2] [--mode FAST] [--seed 4141] [--out DIR] [--no-chart]
 * soak      [--quick] [--seconds 600] [--threads 4] [--allocators hakmem-tls] [--window 1000] [--sample 1] [--seed 4141]
 * </pre>
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // Exit explicitly: an allocator under test may leave non-daemon threads behind (Netty's cleaners).
        System.exit(BenchCommand.execute(args));
    }
}
