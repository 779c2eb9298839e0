#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createPinrelayStacks } from '../lib/stacks/pinrelay.ts';

/**
 * Composition root: stage config (cdk.json context, `-c pinrelay:stage=<name>`) → stateful and stateless
 * stacks, checked by cdk-nag's AWS Solutions pack. cdk-nag 3 is a CDK policy-validation plugin (no
 * longer an Aspect): any unacknowledged finding fails `cdk synth`/`cdk deploy`.
 */
const app = new App();
createPinrelayStacks(app);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
