using static ScalingLab.Cli.Commands.MemoryCommand;

namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab memory energy`: the energies at a point and Propositions 1-3 there, or the paper's Figure 1.</summary>
public static class MemoryEnergyCommand
{
    /// <summary>The `memory energy` sub-verb.</summary>
    public static Command Create()
    {
        var patterns = new Option<string>("--patterns") { Description = "stored patterns: coordinates separated by ',', patterns by ';'" };
        var x = new Option<string>("--x") { Description = "the point to evaluate at, e.g. 0.5,1" };
        var beta = new Option<double>("--beta") { Description = "inverse temperature β (> 0)", DefaultValueFactory = _ => 1.0 };
        var figure = new Option<bool>("--figure1") { Description = "write the paper's Figure 1 panels as SVG into --out" };
        var outDir = SharedOptions.Out("output folder for --figure1");
        return Verb.Printing("energy",
            Verb.Help("Evaluate the energies at a point: the MCHN energy (Ramsauer et al.), the distance energy E_β (Niu et al. Eq. 4),\n" +
            "g (squared nearest-pattern distance), and check Propositions 1-3 there; or draw Figure 1.",
            "scalinglab memory energy --patterns \"-2,-0.5;0.2,-0.3;1.5,1.5\" --x 0.5,1 --beta 2",
            "scalinglab memory energy --figure1 --out fig1"), [patterns, x, beta, figure, outDir], parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            double b = parse.GetValue(beta);
            PatternSet.CheckBeta(b);
            if (parse.GetValue(figure))
            {
                string dir = parse.GetValue(outDir) ?? throw new UserError("--figure1 needs --out DIR for the SVG files");
                var files = Figure1.Write(dir);
                if (Verb.WantsJson(parse)) output.WriteLine(JsonSerializer.Serialize(new { files }));
                else foreach (var f in files) output.WriteLine($"wrote {f}");
                return 0;
            }
            var p = PatternSet.Parse(parse.GetValue(patterns) ?? throw new UserError("give --patterns \"x1,x2;y1,y2;...\" (or --figure1 --out DIR)"));
            var pt = PatternSet.ParseVector(parse.GetValue(x) ?? throw new UserError("give the point with --x, e.g. --x 0.5,1"), "--x");
            p.CheckPoint(pt);
            double e = Energies.Distance(p, pt, b), g = Energies.NearestNeighbour(p, pt, out int nearest);
            double mchn = Energies.Mchn(p, pt, b), negLse = Energies.NegativeLse(p, pt, b), reg = Energies.MchnRegulariser(p, pt, b);
            var checks = new[]
            {
                Propositions.Proposition1(p, pt, b), Propositions.Proposition2(p, pt), Propositions.Proposition2Sharp(p, pt),
                Propositions.Proposition3(p, pt), Propositions.Proposition3Tight(p, pt), Propositions.Proposition3AsPrinted(p, pt),
            };
            if (Verb.WantsJson(parse))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    beta = b, patterns = p.Count, dim = p.Dim, distance_energy = e, nearest_neighbour = g, nearest_index = nearest,
                    mchn_energy = mchn, negative_lse = negLse, mchn_regulariser = reg, delta = p.NormSpread,
                    checks = checks.Select(c => new { name = c.Name, lower = Finite(c.Lower), value = c.Value, upper = Finite(c.Upper), holds = c.Holds() }),
                }));
                return 0;
            }
            output.WriteLine(F($"{p.Count} patterns in R^{p.Dim}, β = {b}, Δ = max‖ρ‖² − min‖ρ‖² = {p.NormSpread:G6}"));
            output.WriteLine(F($"  distance energy E_β(x)      = {e,12:G8}"));
            output.WriteLine(F($"  g(x) = min‖x − ρᵢ‖²         = {g,12:G8}   (nearest pattern {nearest + 1})"));
            output.WriteLine(F($"  MCHN energy E^MCHN_β(x)     = {mchn,12:G8}"));
            output.WriteLine(F($"    −lse(β, Mᵀx)              = {negLse,12:G8}"));
            output.WriteLine(F($"    regulariser               = {reg,12:G8}"));
            foreach (var c in checks) output.WriteLine("  " + c);
            return 0;
        });
    }
}
