using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Scheduling;

namespace Pix2PixZero.Tests.Scheduling;

public class DdimSchedulerTests
{
    private readonly DdimScheduler _scheduler = new(SchedulerConfig.StableDiffusion);

    [Theory]
    // DESIGN.md §1.1: float32 cumprod of the scaled-linear schedule.
    [InlineData(0, 0.99915)]
    [InlineData(20, 0.981314)]
    [InlineData(980, 0.0058438)]
    [InlineData(981, 0.0057755)]
    [InlineData(999, 0.0046601)]
    public void Alphas_cumprod_match_the_published_values(int t, double expected) =>
        Assert.Equal(expected, _scheduler.AlphaCumprod(t), expected * 2e-5);

    [Fact]
    public void Fifty_leading_steps_with_offset_one_run_from_981_down_to_1()
    {
        var timesteps = _scheduler.Timesteps(50);
        Assert.Equal(50, timesteps.Length);
        Assert.Equal(981, timesteps[0]);
        Assert.Equal(961, timesteps[1]);
        Assert.Equal(1, timesteps[^1]);
        Assert.All(timesteps.Zip(timesteps.Skip(1)), p => Assert.Equal(20, p.First - p.Second));
    }

    [Fact]
    public void The_last_denoising_step_lands_on_alpha_zero_because_set_alpha_to_one_is_false()
    {
        Assert.False(SchedulerConfig.StableDiffusion.SetAlphaToOne);
        Assert.Equal(_scheduler.AlphaCumprod(0), _scheduler.FinalAlphaCumprod);
        Assert.Equal(_scheduler.AlphaCumprod(0), _scheduler.AlphaCumprod(_scheduler.PreviousTimestep(1, 50)));
    }

    [Fact]
    public void Denoise_step_follows_the_ddim_formula()
    {
        float[] x = [0.3f, -1.2f, 2.0f];
        float[] eps = [0.5f, 0.1f, -0.7f];
        var result = new float[3];
        _scheduler.Step(eps, 981, 50, x, result);
        double a = _scheduler.AlphaCumprod(981),
            ap = _scheduler.AlphaCumprod(961);
        for (var i = 0; i < 3; i++)
        {
            var x0 = (x[i] - Math.Sqrt(1 - a) * eps[i]) / Math.Sqrt(a);
            Assert.Equal(Math.Sqrt(ap) * x0 + Math.Sqrt(1 - ap) * eps[i], result[i], 1e-5);
        }
    }

    [Fact]
    public void A_step_rounds_like_the_scalar_float_formula_and_may_overwrite_its_sample()
    {
        var random = new Random(7);
        var x = Enumerable.Range(0, 1027).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var eps = Enumerable.Range(0, x.Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float a = _scheduler.AlphaCumprod(981),
            ap = _scheduler.AlphaCumprod(961);
        var expected = x.Select(
                (v, i) =>
                    MathF.Sqrt(ap) * ((v - MathF.Sqrt(1f - a) * eps[i]) / MathF.Sqrt(a)) + MathF.Sqrt(1f - ap) * eps[i]
            )
            .ToArray();

        _scheduler.Step(eps, 981, 50, x, x);

        Assert.Equal(expected, x);
        var e = Assert.Throws<ArgumentException>(() => _scheduler.Step(eps, 981, 50, x, eps));
        Assert.Contains("overlap noise", e.Message);
    }

    [Fact]
    public void Aligned_inversion_visits_1_to_981_and_ends_where_denoising_starts()
    {
        var steps = _scheduler.InversionSteps(50, InversionConvention.Aligned);
        Assert.Equal(50, steps.Length);
        Assert.Equal(1, steps[0].Timestep);
        Assert.Equal(981, steps[^1].Timestep);
        Assert.Equal(_scheduler.AlphaCumprod(0), steps[0].AlphaCumprodFrom);
        Assert.Equal(_scheduler.AlphaCumprod(1), steps[0].AlphaCumprodTo);
        for (var i = 1; i < steps.Length; i++)
        {
            Assert.Equal(steps[i - 1].AlphaCumprodTo, steps[i].AlphaCumprodFrom);
            Assert.Equal(_scheduler.AlphaCumprod(steps[i].Timestep), steps[i].AlphaCumprodTo);
        }
        Assert.Equal(_scheduler.AlphaCumprod(_scheduler.Timesteps(50)[0]), steps[^1].AlphaCumprodTo);
    }

    [Fact]
    public void Official_inversion_makes_48_calls_from_21_to_961_with_alphas_one_below()
    {
        var steps = _scheduler.InversionSteps(50, InversionConvention.Official);
        Assert.Equal(48, steps.Length);
        Assert.Equal(21, steps[0].Timestep);
        Assert.Equal(961, steps[^1].Timestep);
        Assert.All(steps, s =>
        {
            Assert.Equal(_scheduler.AlphaCumprod(s.Timestep - 1), s.AlphaCumprodFrom);
            Assert.Equal(_scheduler.AlphaCumprod(s.Timestep + 19), s.AlphaCumprodTo);
        });
    }

    [Fact]
    public void An_inversion_step_is_undone_by_the_matching_denoising_step_with_the_same_noise()
    {
        var step = _scheduler.InversionSteps(50, InversionConvention.Aligned)[10];
        float[] x = [0.25f, -0.5f, 1.5f, 0f];
        float[] eps = [0.1f, -0.3f, 0.9f, 1.1f];
        var up = new float[4];
        var back = new float[4];
        DdimScheduler.InvertStep(step, eps, x, up);
        _scheduler.Step(eps, step.Timestep, 50, up, back);
        for (var i = 0; i < 4; i++)
            Assert.Equal(x[i], back[i], 1e-5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    public void Step_counts_outside_the_schedule_are_rejected_with_the_accepted_range(int steps)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _scheduler.Timesteps(steps));
        Assert.Contains("2..999", e.Message);
    }

    [Theory]
    [InlineData(InversionConvention.Aligned)]
    [InlineData(InversionConvention.Official)]
    public void The_most_steps_stay_inside_the_training_schedule(InversionConvention convention)
    {
        Assert.Equal(MethodParameters.MaxSteps, _scheduler.MaxSteps);
        var timesteps = _scheduler.Timesteps(_scheduler.MaxSteps);
        Assert.InRange(timesteps.Max(), 0, _scheduler.TrainTimesteps - 1);
        Assert.All(_scheduler.InversionSteps(_scheduler.MaxSteps, convention), step =>
            Assert.InRange(step.Timestep, 0, _scheduler.TrainTimesteps - 1)
        );
    }

    [Fact]
    public void Scheduler_config_is_read_from_diffusers_json_and_validated()
    {
        var config = SchedulerConfig.Parse(
            """{"_class_name":"PNDMScheduler","beta_start":0.00085,"beta_end":0.012"""
                + ""","beta_schedule":"scaled_linear","num_train_timesteps":1000"""
                + ""","set_alpha_to_one":false,"steps_offset":1}"""
        );
        Assert.Equal(SchedulerConfig.StableDiffusion, config);
        var e = Assert.Throws<FormatException>(() => SchedulerConfig.Parse("""{"beta_schedule":"sigmoid"}"""));
        Assert.Contains("sigmoid", e.Message);
    }
}
