import Ajv from 'ajv';

/**
 * The catalog model and the scaffolder's common package compile entity JSON schemas
 * with ajv. Upstream, six of those validators were compiled when their module was
 * imported, which every page load of the app paid for before its first request (about
 * 65 ms of a 1.2 s cold load on a 2-core machine); K2 patches them to compile on first
 * use (`.yarn/patches`), as the catalog model's other kinds already do. This fails
 * when an upgrade drops the patch (its resolution in the root package.json no longer
 * matches) or brings the eager compilation back.
 */
describe('what importing the catalog model costs the app', () => {
  const compile = jest.spyOn(Ajv.prototype, 'compile');

  afterEach(() => compile.mockClear());

  it('compiles no schema when the catalog model and the scaffolder’s entities are imported', () => {
    require('@backstage/catalog-model');
    require('@backstage/catalog-model/alpha');
    require('@backstage/plugin-scaffolder-common');
    expect(compile).not.toHaveBeenCalled();
  });

  it('compiles a template’s schema on its first check, once, and still refuses a bad template', async () => {
    const {
      templateEntityV1beta3Validator,
    } = require('@backstage/plugin-scaffolder-common');
    const template = {
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: 'new-k2-service' },
      spec: { type: 'service', steps: [] },
    };
    await expect(templateEntityV1beta3Validator.check(template)).resolves.toBe(
      true,
    );
    const compiled = compile.mock.calls.length;
    expect(compiled).toBeGreaterThan(0);
    await expect(
      templateEntityV1beta3Validator.check({
        ...template,
        spec: { type: 'service', steps: 'not a list' },
      }),
    ).rejects.toThrow(/steps/);
    expect(compile.mock.calls.length).toBe(compiled);
  });

  it('checks an AI resource against its schema on first use', async () => {
    const {
      aiResourceEntityV1alpha1Validator,
    } = require('@backstage/catalog-model/alpha');
    const resource = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'AiResource',
      metadata: { name: 'frontend-design' },
      spec: { type: 'skill', lifecycle: 'production', owner: 'ai-platform' },
    };
    await expect(
      aiResourceEntityV1alpha1Validator.check(resource),
    ).resolves.toBe(true);
    await expect(
      aiResourceEntityV1alpha1Validator.check({
        ...resource,
        spec: { type: 'skill', lifecycle: 'production' },
      }),
    ).rejects.toThrow(/owner/);
  });
});
