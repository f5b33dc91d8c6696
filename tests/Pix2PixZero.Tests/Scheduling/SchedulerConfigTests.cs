using Pix2PixZero.Core.Scheduling;

namespace Pix2PixZero.Tests.Scheduling;

/// <summary>
/// A diffusers scheduler config is read whole: real SD 1.x configs give SD 1.x's DDIM, every field that changes the
/// maths is honoured or refused naming the field, its value and what is supported, and fields of other samplers are
/// ignored as DDIMScheduler.from_config ignores them.
/// </summary>
public sealed class SchedulerConfigTests
{
    /// <summary>CompVis/stable-diffusion-v1-4's scheduler/scheduler_config.json (PNDM, by diffusers).</summary>
    public const string StableDiffusion14 = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.7.0.dev0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "num_train_timesteps": 1000,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "trained_betas": null,
          "clip_sample": false
        }
        """;

    /// <summary>An SD 1.5 PNDM config as newer diffusers versions write it, with every field spelled out.</summary>
    public const string StableDiffusion15 = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.30.0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "clip_sample": false,
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "timestep_spacing": "leading",
          "trained_betas": null
        }
        """;

    /// <summary>SD 1.4 as first published: the fields added later take SD 1.x's values.</summary>
    private const string StableDiffusion14FirstRelease = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.2.2",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "num_train_timesteps": 1000,
          "skip_prk_steps": true
        }
        """;

    private static string With(string field, string value) =>
        StableDiffusion15.Replace("\"_class_name\"", $"\"{field}\": {value}, \"_class_name\"");

    [Theory]
    [InlineData(StableDiffusion14)]
    [InlineData(StableDiffusion15)]
    [InlineData(StableDiffusion14FirstRelease)]
    public void Real_stable_diffusion_configs_give_stable_diffusions_ddim(string json)
    {
        var config = SchedulerConfig.Parse(json);
        Assert.Equal(SchedulerConfig.StableDiffusion, config);
        var scheduler = new DdimScheduler(config);
        Assert.Equal(981, scheduler.Timesteps(50)[0]);
        Assert.Equal(
            "DDIM, eta 0, epsilon prediction, leading timesteps, steps_offset 1, scaled_linear betas 0.00085..0.012 "
                + "over 1000 train steps, set_alpha_to_one false",
            config.Describe()
        );
    }

    [Theory]
    [InlineData("prediction_type", "\"v_prediction\"", "prediction_type is \"v_prediction\"", "\"epsilon\"")]
    [InlineData("prediction_type", "\"sample\"", "prediction_type is \"sample\"", "\"epsilon\"")]
    [InlineData("timestep_spacing", "\"trailing\"", "timestep_spacing is \"trailing\"", "\"leading\"")]
    [InlineData("timestep_spacing", "\"linspace\"", "timestep_spacing is \"linspace\"", "\"leading\"")]
    [InlineData("rescale_betas_zero_snr", "true", "rescale_betas_zero_snr is true", "false")]
    [InlineData("beta_schedule", "\"sigmoid\"", "beta_schedule is \"sigmoid\"", "\"squaredcos_cap_v2\"")]
    [InlineData("clip_sample", "true", "clip_sample is true", "unclipped")]
    [InlineData("thresholding", "true", "thresholding is true", "no dynamic thresholding")]
    public void A_field_the_method_does_not_implement_is_refused_naming_it_its_value_and_what_is_supported(
        string field,
        string value,
        string named,
        string supported
    )
    {
        // The SD 1.5 config spells each field out; the value under test comes first and JSON keeps the last one.
        var json = With(field, value).Replace($"\"{field}\": {Original(field)},", "");
        var e = Assert.Throws<FormatException>(() => SchedulerConfig.Parse(json));
        Assert.Contains(named, e.Message);
        Assert.Contains("does not implement; supported: ", e.Message);
        Assert.Contains(supported, e.Message);
    }

    private static string Original(string field) =>
        field switch
        {
            "prediction_type" => "\"epsilon\"",
            "timestep_spacing" => "\"leading\"",
            "beta_schedule" => "\"scaled_linear\"",
            "clip_sample" => "false",
            _ => "absent",
        };

    [Fact]
    public void Fields_of_other_samplers_mean_nothing_to_ddim()
    {
        var json = With("solver_order", "2").Replace("\"skip_prk_steps\": true", "\"skip_prk_steps\": false");
        Assert.Equal(SchedulerConfig.StableDiffusion, SchedulerConfig.Parse(json));
    }

    [Fact]
    public void Steps_offset_and_set_alpha_to_one_come_from_the_config_and_the_record_says_so()
    {
        var json = StableDiffusion15
            .Replace("\"steps_offset\": 1", "\"steps_offset\": 0")
            .Replace("\"set_alpha_to_one\": false", "\"set_alpha_to_one\": true");
        var config = SchedulerConfig.Parse(json);
        var scheduler = new DdimScheduler(config);
        Assert.Equal(980, scheduler.Timesteps(50)[0]);
        Assert.Equal(1f, scheduler.FinalAlphaCumprod);
        Assert.Contains("steps_offset 0", config.Describe());
        Assert.Contains("set_alpha_to_one true", config.Describe());
    }

    [Fact]
    public void Trained_betas_replace_the_schedule()
    {
        var betas = string.Join(", ", Enumerable.Repeat("0.01", 10));
        var config = SchedulerConfig.Parse(
            $$"""{"num_train_timesteps": 10, "trained_betas": [{{betas}}], "beta_schedule": "linear"}"""
        );
        var scheduler = new DdimScheduler(config);
        for (var t = 0; t < 10; t++)
            Assert.Equal(Math.Pow(0.99, t + 1), scheduler.AlphaCumprod(t), 1e-6);
        Assert.Contains("trained betas over 10 train steps", config.Describe());
    }

    [Fact]
    public void Trained_betas_must_give_one_beta_per_training_timestep()
    {
        var e = Assert.Throws<FormatException>(() =>
            SchedulerConfig.Parse("""{"num_train_timesteps": 1000, "trained_betas": [0.01, 0.02]}""")
        );
        Assert.Contains("trained_betas holds 2 betas but num_train_timesteps is 1000", e.Message);
    }

    [Theory]
    // ᾱ of diffusers' betas_for_alpha_bar (cosine, betas capped at 0.999) in float32, from python3 emulating
    // torch's float32 rounding: f32 = lambda x: struct.unpack('f', struct.pack('f', x))[0];
    // betas = [f32(min(1 - abar((i+1)/1000) / abar(i/1000), 0.999))], ᾱ = running f32(ᾱ·f32(1 − β)).
    [InlineData(0, 0.9999586939811707)]
    [InlineData(1, 0.9999125599861145)]
    [InlineData(500, 0.4922846853733063)]
    [InlineData(981, 0.0007867138483561575)]
    public void The_squared_cosine_schedule_matches_diffusers(int t, double expected)
    {
        var scheduler = new DdimScheduler(SchedulerConfig.Parse("""{"beta_schedule": "squaredcos_cap_v2"}"""));
        Assert.Equal(expected, scheduler.AlphaCumprod(t), expected * 2e-5);
    }
}
